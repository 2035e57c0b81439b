//! Buttons and forms. They carry what they act on in their custom id (see `ids`); the engine
//! checks everything the custom id carries and whether the person pressing may do it
//! (`engine::presses`); this turns its answer into messages.
use std::collections::HashMap;

use serenity::all::{
    ActionRowComponent, ComponentInteraction, ComponentInteractionDataKind, Context, CreateActionRow,
    CreateInteractionResponse, CreateModal, Interaction, Member, ModalInteraction,
};
use tracing::{info_span, warn, Instrument};

use super::bot::{self, Bot};
use super::commands::matching::suggestions_message;
use super::commands::mentorship::reflection_form;
use super::commands::questions;
use super::commands::text_field;
use super::guide;
use super::ids::{Action, CustomId};
use super::limits;
use super::pages;
use super::render::{mention, when};
use super::reply::{Answerable, BotError};
use super::schedule::tell_others;
use crate::domain::guide::Transition;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::relationship::State;
use crate::engine::guide::Reopened;
use crate::engine::members::Presser;
use crate::engine::presses::{Pressed, Selected, Submit, Submitted};
use crate::store::guide::EvaluationAnswer;
use crate::store::privacy::GuildMember;

/// Handles a button or form; true when it was answered without an error (for the metrics).
pub async fn handle(ctx: &Context, bot: &Bot, interaction: &Interaction) -> bool {
    match interaction {
        Interaction::Component(c) => {
            let span = info_span!("button", custom_id = %c.data.custom_id, user = c.user.id.get());
            seen_in_guild(bot, c.guild_id, c.member.as_ref()).await;
            let result = component(ctx, bot, c).instrument(span).await;
            if let Err(e) = &result {
                let text = e.reply_text(&c.data.custom_id);
                if let Err(e) = Answerable::Component(c).ephemeral(ctx, text).await {
                    warn!(error = %e, "could not answer a button");
                }
            }
            result.is_ok()
        }
        Interaction::Modal(m) => {
            let span = info_span!("form", custom_id = %m.data.custom_id, user = m.user.id.get());
            seen_in_guild(bot, m.guild_id, m.member.as_ref()).await;
            let result = modal(ctx, bot, m).instrument(span).await;
            if let Err(e) = &result {
                let text = e.reply_text(&m.data.custom_id);
                if let Err(e) = Answerable::Modal(m).ephemeral(ctx, text).await {
                    warn!(error = %e, "could not answer a form");
                }
            }
            result.is_ok()
        }
        _ => true,
    }
}

/// An interaction made in a server proves its author is a member of it now.
pub async fn seen_in_guild(bot: &Bot, guild: Option<serenity::all::GuildId>, member: Option<&Member>) {
    let (Some(g), Some(m)) = (guild, member) else { return };
    let record = GuildMember {
        user: UserId(m.user.id.get()),
        bot: m.user.bot,
        roles: m.roles.iter().map(|r| r.get()).collect(),
    };
    if let Err(e) = bot.engine.record_member(GuildId(g.get()), &record).await {
        warn!(error = %e, "could not record a member");
    }
}

fn invalid() -> BotError {
    BotError::user("This button or form is no longer valid; run the command again (/mentor help lists them).")
}

async fn component(ctx: &Context, bot: &Bot, c: &ComponentInteraction) -> Result<(), BotError> {
    let user = UserId(c.user.id.get());
    let presser = Presser { user, bot: c.user.bot };
    // Pages and "Show in full" only read: the pages check the presser and what they may see.
    if let Some(id) = CustomId::parse(&c.data.custom_id) {
        match id.action {
            Action::Page => return pages::turn(ctx, bot, c, &id, presser).await,
            Action::Full => {
                let (listing, guild, args) = pages::parse_full(&id).ok_or_else(invalid)?;
                return pages::show_in_full(ctx, bot, c, presser, listing, guild, &args).await;
            }
            _ => {}
        }
    }
    let id = CustomId::parse(&c.data.custom_id).ok_or_else(invalid)?;
    match id.action {
        Action::ImportApply => return super::commands::import::apply(ctx, bot, c, &id).await,
        Action::ImportSuggest => return super::commands::import::suggest(ctx, bot, c, &id).await,
        _ => {}
    }
    // A select menu (a matching question's): the engine checks it as it checks a button.
    if let Some(select) = id.select() {
        // A menu's custom id on a button is not a menu of ours.
        let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
            return Err(invalid());
        };
        return match bot.engine.select(presser, select, values).await? {
            Selected::Answered(page) => questions::show_page(ctx, c, page).await,
        };
    }
    let press = id.press().ok_or_else(invalid)?;
    let pressed_in = press.guild();
    let answer = Answerable::Component(c);
    match bot.engine.press(presser, press).await? {
        Pressed::Answered { before, rel, accepted } => {
            let tips = accepted_tips(&bot.engine, &rel, user, accepted).await;
            answer
                .ephemeral(ctx, answered_text(&rel, user, accepted, &tips))
                .await?;
            bot.on_answered(before, &rel, user, accepted).await;
        }
        Pressed::Confirmed { before, rel, version } => {
            let r = rel.number;
            let text = if before == State::Agreeing && rel.state == State::Active {
                format!(
                    "Confirmed. Everyone agreed: mentorship #{r} is active.{}",
                    guide::tips_for(&bot.engine, rel.guild, user, Transition::Confirmed).await
                )
            } else {
                format!("You confirmed version {version} of the agreement of mentorship #{r}.")
            };
            answer.ephemeral(ctx, text).await?;
            bot.on_confirmed(&rel, user, version).await;
        }
        Pressed::RetroForm { guild, rel, not_a_fit } => {
            let mut fields = vec![
                text_field("learned", "What did you learn?", true, true, 1000, None),
                text_field(
                    "differently",
                    "What would you do differently next time?",
                    true,
                    false,
                    1000,
                    None,
                ),
            ];
            // A mentorship that was not a fit is not asked what to celebrate.
            if !not_a_fit {
                fields.push(text_field(
                    "celebrate",
                    "What should be celebrated?",
                    true,
                    false,
                    1000,
                    None,
                ));
            }
            let n = bot.engine.mentorship_number(guild, rel).await?;
            let modal = CreateModal::new(
                CustomId::on(Action::RetroForm, guild, rel).encode(),
                format!("Looking back on #{n}"),
            )
            .components(fields);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Pressed::ReflectForm {
            guild,
            rel,
            checkin,
            role,
        } => {
            let checkin = checkin.map_or(0, |c| c.0 as u64);
            let form = CustomId::new(Action::ReflectForm, &[guild.0, rel.0 as u64, checkin]).encode();
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::Modal(reflection_form(form, "Reflect on your meeting".into(), role)),
            )
            .await?;
        }
        Pressed::Skipped { rel, checkin } => {
            let (r, at) = (rel.number, when(checkin.scheduled_at));
            answer
                .ephemeral(
                    ctx,
                    format!("Skipped the check-in of mentorship #{r} on {at}. The others are told."),
                )
                .await?;
            let text = format!("{} skipped the check-in of mentorship #{r} on {at}.", mention(user));
            tell_others(bot, rel.guild, &rel, user, &text).await;
        }
        Pressed::Met { rel, checkin, role } => {
            let form = CustomId::new(
                Action::ReflectForm,
                &[rel.guild.0, rel.id.0 as u64, checkin.id.0 as u64],
            )
            .encode();
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::Modal(reflection_form(form, "Reflect on your meeting".into(), role)),
            )
            .await?;
        }
        Pressed::NotMet { rel } => {
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Noted: mentorship #{} did not meet this time. See you at the next check-in.",
                        rel.number
                    ),
                )
                .await?;
        }
        Pressed::RescheduleForm { rel, checkin, timezone } => {
            let local = checkin.scheduled_at.with_timezone(&timezone);
            let modal = CreateModal::new(
                CustomId::new(
                    Action::RescheduleForm,
                    &[rel.guild.0, rel.id.0 as u64, checkin.id.0 as u64],
                )
                .encode(),
                // The title names the zone the form's times are in (a label holds 45 characters).
                {
                    let long = format!("Move check-in #{}: times in {}", rel.number, timezone.name());
                    if long.chars().count() <= 45 {
                        long
                    } else {
                        format!("Times in {}", timezone.name())
                    }
                },
            )
            .components(vec![
                text_field(
                    "date",
                    "New date (YYYY-MM-DD)",
                    false,
                    true,
                    10,
                    Some(&local.format("%Y-%m-%d").to_string()),
                ),
                // A label holds 45 characters, a zone's name up to 32: the zone goes in the
                // placeholder.
                CreateActionRow::InputText(
                    serenity::all::CreateInputText::new(
                        serenity::all::InputTextStyle::Short,
                        "New time, HH:MM (your own time zone)",
                        "time",
                    )
                    .required(true)
                    .max_length(5)
                    .placeholder(format!("HH:MM in {}", timezone.name()))
                    .value(local.format("%H:%M").to_string()),
                ),
            ]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Pressed::FrequencyForm { rel, current } => {
            let modal = CreateModal::new(
                CustomId::on(Action::FrequencyForm, rel.guild, rel.id).encode(),
                format!("How often should #{} meet?", rel.number),
            )
            .components(vec![text_field(
                "frequency",
                "e.g. weekly, every 2 weeks, monthly",
                false,
                true,
                100,
                Some(&current),
            )]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Pressed::ChangeForm(form) => {
            let modal = super::agreement_change::form(&form);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Pressed::Paused { rel } => {
            answer
                .ephemeral_with(ctx, bot::paused_text(&rel), vec![bot::resume_row(&rel)])
                .await?;
            bot.on_paused(&rel, user).await;
        }
        Pressed::Resumed { rel } => {
            answer.ephemeral(ctx, bot::resumed_text(&rel)).await?;
            bot.on_resumed(&rel, user).await;
        }
        Pressed::Ended { rel } => {
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Mentorship #{} has ended. Check your DMs for the retrospective and Find me another.",
                        rel.number
                    ),
                )
                .await?;
            bot.on_ended(&rel).await;
        }
        Pressed::EndAsk { rel, leaves } => {
            let (text, rows) = bot::end_confirmation(&rel, leaves, None);
            answer.ephemeral_with(ctx, text, rows).await?;
        }
        Pressed::EndCancelled { rel } => {
            let n = bot.engine.mentorship_number(pressed_in, rel).await?;
            answer
                .ephemeral(ctx, format!("Nothing changed: mentorship #{n} goes on."))
                .await?;
        }
        Pressed::Celebration { rel, yes } => {
            let n = bot.engine.mentorship_number(pressed_in, rel).await?;
            let text = if yes {
                format!(
                    "Noted: you agree to celebrate mentorship #{n} in the program channel. It is posted once \
                     everyone agrees."
                )
            } else {
                format!("Noted: mentorship #{n} is not celebrated in public.")
            };
            answer.ephemeral(ctx, text).await?;
        }
        Pressed::Left { rel } => {
            answer.ephemeral(ctx, bot::left_text(&rel)).await?;
            bot.on_left(&rel, user).await;
        }
        Pressed::Forgotten { ended } => {
            answer
                .ephemeral(
                    ctx,
                    "Done: the bot has forgotten you in this server. Thank you for taking part.",
                )
                .await?;
            for rel in &ended {
                // The purpose may be the forgotten person's words: the number says which one.
                let text = format!("Mentorship #{} has ended: a member left the program.", rel.number);
                for m in rel.joined().filter(|m| m.user != user) {
                    bot.notifier
                        .dm(rel.guild, Some(rel.id), m.user, limits::dm(text.clone()))
                        .await;
                }
            }
        }
        Pressed::Proposed { rel, to } => {
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Invitation sent to {} (mentorship #{}). You will hear their answer.",
                        mention(to),
                        rel.number
                    ),
                )
                .await?;
            bot.on_proposed(&rel).await;
        }
        Pressed::Questions(page) => questions::show_page(ctx, c, page).await?,
        Pressed::FitAnswered { guild, rel, fit } => {
            let n = bot.engine.mentorship_number(guild, rel).await?;
            let (text, rows) = guide::fit_answer(guild, rel, n, fit);
            answer.ephemeral_with(ctx, text, rows).await?;
        }
        Pressed::Rated { rel, answer: given } => {
            let n = bot.engine.mentorship_number(pressed_in, rel).await?;
            let text = match given {
                EvaluationAnswer::Value(v) => format!(
                    "Thank you: you rated mentorship #{n} {v} of 5. Only counts reach the organisers. You can change \
                     it by pressing another number."
                ),
                EvaluationAnswer::Again(true) => "Thank you: noted that you would join the program again.".to_string(),
                EvaluationAnswer::Again(false) => {
                    "Thank you: noted that you would not join again. Only counts reach the organisers.".to_string()
                }
                EvaluationAnswer::Fit(_) => "Thank you.".to_string(),
            };
            answer.ephemeral(ctx, text).await?;
        }
        Pressed::FindAnotherForm { guild, rel, listing } => {
            let what = match listing {
                Reopened::Request(_) => "request",
                Reopened::Offer(_) => "offer",
            };
            let modal = CreateModal::new(
                CustomId::on(Action::FindAnotherForm, guild, rel).encode(),
                format!("Find another: your {what}"),
            )
            .components(vec![text_field(
                "purpose",
                "Your purpose (edit it if it changed)",
                true,
                true,
                1000,
                Some(listing.purpose()),
            )]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
    }
    Ok(())
}

/// The Yes / No of "celebrate it in the program channel?".
fn celebrate_row(guild: GuildId, rel: crate::domain::ids::RelationshipId) -> serenity::all::CreateActionRow {
    let id = |yes: u64| CustomId::new(Action::Celebrate, &[guild.0, rel.0 as u64, yes]).encode();
    serenity::all::CreateActionRow::Buttons(vec![
        serenity::all::CreateButton::new(id(1))
            .label("Yes, celebrate it")
            .style(serenity::all::ButtonStyle::Success),
        serenity::all::CreateButton::new(id(0))
            .label("No")
            .style(serenity::all::ButtonStyle::Secondary),
    ])
}

fn listing_guild(listing: &Reopened) -> GuildId {
    match listing {
        Reopened::Request(q) => q.guild,
        Reopened::Offer(o) => o.guild,
    }
}

/// The scope phase's tips for whoever's acceptance started it (nothing otherwise).
pub async fn accepted_tips(
    engine: &crate::engine::Engine,
    rel: &crate::domain::relationship::Relationship,
    reader: UserId,
    accepted: bool,
) -> String {
    if accepted && rel.state != State::Proposed {
        guide::tips_for(engine, rel.guild, reader, Transition::Accepted).await
    } else {
        String::new()
    }
}

/// What the person who answered an invitation reads.
pub fn answered_text(
    rel: &crate::domain::relationship::Relationship,
    who: UserId,
    accepted: bool,
    tips: &str,
) -> String {
    let r = rel.number;
    match (accepted, rel.state) {
        (true, State::Proposed) => format!("You accepted mentorship #{r}; waiting for the others."),
        (true, _) => format!(
            "You accepted mentorship #{r}. Next: agree on how you will work together (/mentorship agreement \
             mentorship:{r}).{tips}"
        ),
        (false, _) => match rel.request {
            // The mentee who declined: their request goes on (issue 16, item 7).
            Some(_) if rel.mentee() == Some(who) => format!(
                "You declined mentorship #{r}. Thank you for answering. Your request stays open for matching \
                 (/mentor withdraw closes it)."
            ),
            _ => format!("You declined mentorship #{r}. Thank you for answering."),
        },
    }
}

fn values(m: &ModalInteraction) -> HashMap<String, String> {
    m.data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => Some((t.custom_id.clone(), t.value.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

/// What matching needs from someone without a profile (issue 16, item 3): they are told before
/// the organisers' matching leaves them out, and how to fix it.
pub fn profile_first_note(mentor: bool) -> &'static str {
    if mentor {
        "**Matching needs your profile first:** until you set one up, the organisers' matching leaves your offer \
         out. Set your time zone (and the hours you are free) with /mentor profile timezone:<e.g. Europe/Berlin> \
         availability:<e.g. tue 18:00-20:00>."
    } else {
        "**Matching needs your profile first:** until you set one up, the organisers' matching leaves you out. Set \
         your time zone (and the hours you are free) with /mentor profile timezone:<e.g. Europe/Berlin> \
         availability:<e.g. tue 18:00-20:00>; meanwhile you can ask someone directly with /mentor request."
    }
}

/// What a "may others see you in /mentor suggest?" answer did.
fn suggestable_note(answer: Option<(bool, bool)>) -> &'static str {
    match answer {
        Some((true, true)) => " Members looking for a match may now see you in /mentor suggest.",
        Some((true, false)) => {
            " To appear in /mentor suggest, set up your profile first (/mentor profile), then turn it on with \
             /mentor profile suggestable:True."
        }
        Some((false, _)) => " You will not appear in /mentor suggest.",
        None => "",
    }
}

async fn modal(ctx: &Context, bot: &Bot, m: &ModalInteraction) -> Result<(), BotError> {
    let submit = CustomId::parse(&m.data.custom_id)
        .and_then(|id| id.submit())
        .ok_or_else(invalid)?;
    let user = UserId(m.user.id.get());
    let presser = Presser { user, bot: m.user.bot };
    let fields = values(m);
    let answer = Answerable::Modal(m);
    // Suggestions score the whole server: more than Discord's three seconds on a big one.
    if matches!(submit, Submit::FindAnother { .. }) {
        m.defer_ephemeral(&ctx.http).await?;
    }
    match bot.engine.submit(presser, submit, &fields).await? {
        Submitted::Offer { offer, suggestable } => {
            let topics = offer.topics.join(", ");
            let has_profile = matches!(bot.engine.profile(offer.guild, user).await, Ok(Some(_)));
            let matching = if has_profile {
                String::new()
            } else {
                format!(" {}", profile_first_note(true))
            };
            let text = format!(
                "Your offer #{} is open: {} mentee(s) on {topics}.{matching}{}{}",
                bot.engine.offer_number(offer.guild, user, offer.id).await?,
                offer.capacity,
                suggestable_note(suggestable),
                guide::tips_for(&bot.engine, offer.guild, user, Transition::Opened).await
            );
            answer.ephemeral(ctx, text).await?;
        }
        Submitted::Request {
            request,
            suggestable,
            reopened,
        } => {
            let goals = request.goals.join(", ");
            let has_profile = matches!(bot.engine.profile(request.guild, user).await, Ok(Some(_)));
            let matching = if has_profile {
                "Organisers can now match you, or ask someone directly with /mentor request.".to_string()
            } else {
                profile_first_note(false).to_string()
            };
            let text = format!(
                "Your request #{} is open{}: {goals}. {matching}{}{}",
                bot.engine.request_number(request.guild, user, request.id).await?,
                if reopened { " again (no second one)" } else { "" },
                suggestable_note(suggestable),
                guide::tips_for(&bot.engine, request.guild, user, Transition::Opened).await
            );
            answer.ephemeral(ctx, text).await?;
        }
        Submitted::Invited { rel, to } => {
            let text = match to {
                Some(to) => format!(
                    "Invitation sent to {} (mentorship #{}). You will hear their answer.",
                    mention(to),
                    rel.number
                ),
                None => format!(
                    "Invitations sent for peer group #{}. It forms once two have accepted.",
                    rel.number
                ),
            };
            // Answer first: telling the others may take longer than Discord waits for an answer.
            answer.ephemeral(ctx, text).await?;
            bot.on_proposed(&rel).await;
        }
        Submitted::Agreement { rel, version } => {
            answer
                .ephemeral(
                    ctx,
                    format!("Version {version} of the agreement is sent to everyone to confirm."),
                )
                .await?;
            bot.on_agreement(&rel).await;
        }
        Submitted::Journal(entry) => {
            // The entry's number in the author's journal (the one /mentorship journal share
            // takes), not its database id.
            let n = bot
                .engine
                .my_journal_numbered(entry.guild, entry.author)
                .await?
                .into_iter()
                .find(|(_, e)| e.id == entry.id)
                .map_or(0, |(n, _)| n);
            answer
                .ephemeral(
                    ctx,
                    format!("Saved to your private journal (entry {n}). Share it with /mentorship journal share."),
                )
                .await?;
        }
        Submitted::Retro {
            guild,
            rel,
            ask_celebration,
        } => {
            let next = "When you are ready, Find me another (in the end message) re-opens your request or offer; \
                        /mentor seek and /mentor offer start new ones.";
            if ask_celebration {
                let n = bot.engine.mentorship_number(guild, rel).await?;
                let text = format!(
                    "Thank you for looking back. **Celebrate it in the program channel?** The post goes out only when \
                     everyone in mentorship #{n} says yes; you can change your answer until then. {next}"
                );
                answer
                    .ephemeral_with(ctx, text, vec![celebrate_row(guild, rel)])
                    .await?;
            } else {
                answer
                    .ephemeral(ctx, format!("Thank you for looking back. {next}"))
                    .await?;
            }
        }
        Submitted::Rescheduled(moved) => {
            let r = moved.rel.number;
            let (from, to) = (when(moved.old.scheduled_at), when(moved.new.scheduled_at));
            answer
                .ephemeral(
                    ctx,
                    format!("Moved the check-in of mentorship #{r} to {to}. The others are told."),
                )
                .await?;
            let text = format!(
                "{} moved the check-in of mentorship #{r} from {from} to {to}.",
                mention(user)
            );
            tell_others(bot, moved.rel.guild, &moved.rel, user, &text).await;
        }
        Submitted::FoundAnother { listing, suggestions } => {
            let (what, id) = match &listing {
                Reopened::Request(q) => ("request", bot.engine.request_number(q.guild, user, q.id).await?),
                Reopened::Offer(o) => ("offer", bot.engine.offer_number(o.guild, user, o.id).await?),
            };
            let head = format!("Your {what} #{id} is open again; organisers can match you too.\n");
            let (text, rows) = match suggestions {
                Ok((target, list)) => suggestions_message(listing_guild(&listing), user, target, &list),
                Err(why) => (why, Vec::new()),
            };
            let text = limits::fit(&format!("{head}{text}"), limits::MESSAGE_MAX);
            m.create_followup(&ctx.http, limits::followup(text).components(rows))
                .await?;
        }
        Submitted::Frequency { rel, version } => {
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Version {version} of the agreement, with the new frequency, is sent to everyone to confirm."
                    ),
                )
                .await?;
            bot.on_agreement(&rel).await;
        }
    }
    Ok(())
}

/// A fixed name for a button or form, by the action of its custom id ("button mb:met"), for the
/// metrics: anything else (forged ids) is "button other", so labels cannot grow without bound.
pub fn metric_name(interaction: &Interaction) -> Option<String> {
    let (form, id) = match interaction {
        Interaction::Component(c) => (false, &c.data.custom_id),
        Interaction::Modal(m) => (true, &m.data.custom_id),
        _ => return None,
    };
    Some(super::ids::metric_label(form, CustomId::parse(id).map(|c| c.action)))
}
