//! `/mentorship`: working in a relationship, from the agreement to the end.
use serenity::all::{CreateAttachment, CreateModal};

use super::{caller, guild, open_draft_form, open_form, say, text_field};
use crate::discord::bot::Draft;
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits;
use crate::discord::pages::{self, Listing, Paged};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::agreement::{AgreementChanges, AgreementTerms};
use crate::domain::journal::reflection_questions;
use crate::domain::relationship::{EndReason, Role};

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum EndChoice {
    #[name = "goals met"]
    GoalsMet,
    #[name = "not a fit"]
    NotAFit,
    #[name = "planned end"]
    PlannedEnd,
    #[name = "other"]
    Other,
}

impl From<EndChoice> for EndReason {
    fn from(c: EndChoice) -> EndReason {
        match c {
            EndChoice::GoalsMet => EndReason::GoalsMet,
            EndChoice::NotAFit => EndReason::NotAFit,
            EndChoice::PlannedEnd => EndReason::PlannedEnd,
            EndChoice::Other => EndReason::Other,
        }
    }
}

/// Your mentorships: agreement, plan, check-ins, journal and the end.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "list",
        "answer",
        "withdraw",
        "agreement",
        "super::plan::plan",
        "checkin",
        "journal",
        "pause",
        "resume",
        "end"
    )
)]
pub async fn mentorship(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Your mentorships with their phase and next step.
#[poise::command(slash_command, guild_only)]
pub async fn list(ctx: Ctx<'_>) -> Result<(), BotError> {
    let p = Paged::new(Listing::Mentorships, guild(ctx)?, caller(ctx), &[]);
    let first = pages::page(ctx.data(), &p, 0).await?;
    ctx.send(pages::reply(first)).await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum AnswerChoice {
    #[name = "accept"]
    Accept,
    #[name = "decline"]
    Decline,
}

/// Answer an invitation (as its Accept and Decline buttons do), e.g. one whose DM never came.
#[poise::command(slash_command, guild_only)]
pub async fn answer(
    ctx: Ctx<'_>,
    #[description = "Accept or decline"] answer: AnswerChoice,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let (g, me) = (guild(ctx)?, caller(ctx));
    let engine = &ctx.data().engine;
    let before = engine.relationship_for(g, mentorship, me).await?.state;
    let accepted = matches!(answer, AnswerChoice::Accept);
    let rel = if accepted {
        engine.accept(g, mentorship, me).await?
    } else {
        engine.decline(g, mentorship, me).await?.seen_by(me)
    };
    let tips = crate::discord::interactions::accepted_tips(engine, &rel, me, accepted).await;
    say(
        ctx,
        crate::discord::interactions::answered_text(&rel, me, accepted, &tips),
    )
    .await?;
    ctx.data().on_answered(before, &rel, me, accepted).await;
    Ok(())
}

/// Take back an invitation you sent that is still waiting for answers; everyone invited is told.
#[poise::command(slash_command, guild_only)]
pub async fn withdraw(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let me = caller(ctx);
    let rel = ctx
        .data()
        .engine
        .withdraw_invitation(guild(ctx)?, mentorship, me)
        .await?;
    say(
        ctx,
        format!(
            "You withdrew the invitation to mentorship #{}; everyone you invited is told. /mentor suggest shows who \
             else fits.",
            rel.number
        ),
    )
    .await?;
    ctx.data().on_withdrawn(&rel, me).await;
    Ok(())
}

/// Write or change the agreement (type only what changes); expectations in the form that opens.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn agreement(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "weekly, every N weeks, monthly, monthly on day D, or cron: <5 fields>"] frequency: Option<String>,
    #[description = "Local time of the meetings, HH:MM"] time: Option<String>,
    #[description = "Time zone of that time (default: the agreement's, else your profile's)"]
    #[autocomplete = "super::mentor::zones"]
    timezone: Option<String>,
    #[description = "First meeting on or after this date, YYYY-MM-DD (default: today)"] start: Option<String>,
    #[description = "Meeting length in minutes (10 to 480)"] length: Option<i64>,
    #[description = "voice, video, text or in person"] method: Option<String>,
    #[description = "Preferred weekday, e.g. tue (none clears it)"] day: Option<String>,
    #[description = "Planned end date, YYYY-MM-DD (none clears it)"] end: Option<String>,
    #[description = "Place, channel or link (none clears it)"] place: Option<String>,
    #[description = "Missed check-ins before the issue-handling prompt (default 2)"] missed_before_prompt: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let g = guild(ctx)?;
    let me = caller(ctx);
    let engine = &ctx.data().engine;
    let rel = engine.relationship_for(g, mentorship, me).await?;
    rel.require_agreement_writable(me).map_err(crate::engine::Error::from)?;
    let changes = AgreementChanges {
        frequency,
        day,
        time,
        timezone,
        start_date: start,
        meeting_minutes: length,
        method,
        place,
        end_date: end,
        missed_before_prompt,
    };
    let profile_zone = engine.profile(g, me).await?.map(|p| p.timezone.name().to_string());
    let previous = rel.latest_agreement().map(|a| &a.terms);
    let mut input = changes
        .prefilled(previous, profile_zone.as_deref(), engine.now())
        .map_err(crate::engine::Error::from)?;
    input.expectations = "(typed in the form)".into();
    input.issue_handling = "(typed in the form)".into();
    AgreementTerms::from_input(me, &input, engine.now()).map_err(crate::engine::Error::from)?;
    let mine = rel.latest_agreement().and_then(|a| {
        a.terms
            .expectations
            .iter()
            .find(|e| e.user == me)
            .map(|e| e.text.clone())
    });
    let handling = rel.latest_agreement().map(|a| a.terms.issue_handling.clone());
    let draft = Draft::Agreement { rel: rel.id, input };
    open_draft_form(ctx, g, draft, |id| {
        CreateModal::new(id, format!("Agreement for mentorship #{}", rel.number)).components(vec![
            text_field(
                "expectations",
                "What do you expect (of both of you)?",
                true,
                true,
                1000,
                mine.as_deref(),
            ),
            text_field(
                "issue_handling",
                "How will you handle issues?",
                true,
                true,
                1000,
                handling.as_deref(),
            ),
        ])
    })
    .await
}

/// A mentorship's number as a button carries it: never negative (no such mentorship exists).
fn number(mentorship: i64) -> Result<u64, BotError> {
    u64::try_from(mentorship).map_err(|_| crate::engine::Error::NotFound("mentorship").into())
}

pub fn reflection_form(custom_id: String, title: String, role: Role) -> CreateModal {
    let fields = reflection_questions(role)
        .iter()
        .enumerate()
        .map(|(i, q)| text_field(&format!("q{i}"), q, true, i == 0, 1000, None))
        .collect();
    CreateModal::new(custom_id, title).components(fields)
}

/// Record a meeting that happened (then reflect on it) or did not.
#[poise::command(slash_command, guild_only)]
pub async fn checkin(
    ctx: Ctx<'_>,
    #[description = "Did you meet?"] met: bool,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "A short note"] note: Option<String>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let g = guild(ctx)?;
    let me = caller(ctx);
    let engine = &ctx.data().engine;
    let rel = engine.relationship_for(g, mentorship, me).await?;
    if !met {
        engine.record_checkin(g, rel.id, me, false, note.as_deref()).await?;
        return say(
            ctx,
            "Recorded: no meeting this time. The bot will remind you before the next one.",
        )
        .await;
    }
    let role = rel.require_joined(me).map_err(crate::engine::Error::from)?.role;
    let checkin = engine.record_checkin(g, rel.id, me, true, note.as_deref()).await?;
    let id = CustomId::new(Action::ReflectForm, &[g.0, rel.id.0 as u64, checkin.id.0 as u64]).encode();
    open_form(ctx, reflection_form(id, "Reflect on your meeting".into(), role)).await
}

/// Your private journal.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("journal_write", "journal_list", "journal_share", "journal_export")
)]
pub async fn journal(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Write a reflection into your journal.
#[poise::command(slash_command, guild_only, rename = "write")]
pub async fn journal_write(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let g = guild(ctx)?;
    let me = caller(ctx);
    let rel = ctx.data().engine.relationship_for(g, mentorship, me).await?;
    let role = rel.require_joined(me).map_err(crate::engine::Error::from)?.role;
    let id = CustomId::on(Action::JournalForm, g, rel.id).encode();
    open_form(
        ctx,
        reflection_form(id, format!("Journal: mentorship #{}", rel.number), role),
    )
    .await
}

/// Read your journal (and what the others shared with you).
#[poise::command(slash_command, guild_only, rename = "list")]
pub async fn journal_list(
    ctx: Ctx<'_>,
    #[description = "Only this mentorship (includes what the others shared)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let rel = match mentorship {
        Some(m) => number(m)?,
        None => 0,
    };
    let p = Paged::new(Listing::Journal, guild(ctx)?, caller(ctx), &[rel]);
    let first = pages::page(ctx.data(), &p, 0).await?;
    ctx.send(pages::reply(first)).await?;
    Ok(())
}

/// Share one of your entries with the mentorship's members (or take it back).
#[poise::command(slash_command, guild_only, rename = "share")]
pub async fn journal_share(
    ctx: Ctx<'_>,
    #[description = "Your entry (type a date or words; its number in your journal)"]
    #[autocomplete = "super::pick::my_entries"]
    entry: i64,
    #[description = "Share it (true) or make it private again (false)"] shared: Option<bool>,
) -> Result<(), BotError> {
    let shared = shared.unwrap_or(true);
    let (g, me) = (guild(ctx)?, caller(ctx));
    let engine = &ctx.data().engine;
    let found = engine.my_journal_entry(g, me, entry).await?;
    engine.share_journal(g, found.id, me, shared).await?;
    say(
        ctx,
        if shared {
            format!("Entry {entry} is now shared with the mentorship's members.")
        } else {
            format!("Entry {entry} is private again.")
        },
    )
    .await
}

/// Get your whole journal as a Markdown file by DM.
#[poise::command(slash_command, guild_only, rename = "export")]
pub async fn journal_export(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    // Reading the whole journal and sending a file by DM may take longer than Discord waits.
    ctx.defer_ephemeral().await?;
    let markdown = ctx.data().engine.export_journal(g, me).await?;
    let message = limits::dm("Your mentorship journal.")
        .add_file(CreateAttachment::bytes(markdown.into_bytes(), "mentorship-journal.md"));
    match ctx.data().notifier.dm_always(g, None, me, message).await {
        crate::discord::notify::Delivery::Dm => say(ctx, "Your journal is in your DMs.").await,
        _ => {
            say(
                ctx,
                "I could not DM you; please allow DMs from this server's members and try again.",
            )
            .await
        }
    }
}

/// Pause a mentorship: no reminders until one of you resumes it.
#[poise::command(slash_command, guild_only)]
pub async fn pause(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let me = caller(ctx);
    let rel = ctx.data().engine.pause(guild(ctx)?, mentorship, me).await?;
    ctx.send(
        limits::reply(crate::discord::bot::paused_text(&rel)).components(vec![crate::discord::bot::resume_row(&rel)]),
    )
    .await?;
    ctx.data().on_paused(&rel, me).await;
    Ok(())
}

/// Resume a paused mentorship: its check-ins and reminders start again.
#[poise::command(slash_command, guild_only)]
pub async fn resume(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    let me = caller(ctx);
    let rel = ctx.data().engine.resume(guild(ctx)?, mentorship, me).await?;
    say(ctx, crate::discord::bot::resumed_text(&rel)).await?;
    ctx.data().on_resumed(&rel, me).await;
    Ok(())
}

/// End a mentorship, after a confirmation (in a group that goes on, leave it)
#[poise::command(slash_command, guild_only)]
pub async fn end(
    ctx: Ctx<'_>,
    #[description = "How it ended"] reason: EndChoice,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let mentorship = super::which(ctx, mentorship).await?;
    // Nothing ends yet: the answer asks for a confirmation (issue 16, item 6).
    let (rel, leaves) = ctx
        .data()
        .engine
        .end_preview(guild(ctx)?, mentorship, caller(ctx))
        .await?;
    let (text, rows) = crate::discord::bot::end_confirmation(&rel, leaves, Some(reason.into()));
    ctx.send(limits::reply(text).components(rows)).await?;
    Ok(())
}
