//! `/program mentorship view|pause|resume|end|nudge`, `/program pair` and `/program unplace`:
//! the organisers' hands on single mentorships (issue 17). The engine checks who may; the
//! members are told in plain words.
use serenity::all::{AutocompleteChoice, ButtonStyle, CreateActionRow, CreateAutocompleteResponse, CreateButton, User};

use super::{caller, caller_rights, fit, guild, say};
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits;
use crate::discord::render::{mention, when};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::listing::Kind;
use crate::domain::relationship::{Relationship, Role, State};
use crate::engine::hands::{HandAction, MentorshipView, Organiser};
use crate::engine::organisers::Health;

/// Discord's limit on an autocomplete choice's name.
const CHOICE_MAX: usize = 100;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PairKind {
    #[name = "classic"]
    Classic,
    #[name = "reverse"]
    Reverse,
}

fn organiser<'a>(ctx: Ctx<'_>, roles: &'a [u64], is_admin: bool) -> Organiser<'a> {
    Organiser {
        user: caller(ctx),
        is_admin,
        roles,
    }
}

/// A mentorship option as typed or picked: its number, with or without `#`.
fn number(text: &str) -> Result<i64, BotError> {
    text.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            BotError::user("Please pick a mentorship from the list (type part of a member's name), or give its number.")
        })
}

/// The display names of these people, as the gateway told them (people it did not name get
/// `member <id>`).
pub(super) fn names_of(
    ctx: Ctx<'_>,
    guild: GuildId,
    users: impl IntoIterator<Item = UserId>,
) -> std::collections::HashMap<UserId, String> {
    users.into_iter().map(|u| (u, name_of(ctx, guild, u))).collect()
}

/// A member's name as the gateway told it, else `member <id>`.
pub(super) fn name_of(ctx: Ctx<'_>, guild: GuildId, user: UserId) -> String {
    let cached = ctx
        .serenity_context()
        .cache
        .guild(serenity::all::GuildId::new(guild.0))
        .and_then(|g| {
            g.members
                .get(&serenity::all::UserId::new(user.0.max(1)))
                .map(|m| m.display_name().to_string())
        });
    cached.unwrap_or_else(|| format!("member {}", user.0))
}

/// The server's mentorships whose members' names (or number) contain what is typed; live ones
/// first. Nobody but an organiser gets any.
pub async fn mentorships(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Ok(g) = guild(ctx) else {
        return CreateAutocompleteResponse::new();
    };
    let (is_admin, roles) = caller_rights(ctx);
    let rels = match ctx
        .data()
        .engine
        .mentorships_for_organisers(g, organiser(ctx, &roles, is_admin))
        .await
    {
        Ok(r) => r,
        Err(_) => return CreateAutocompleteResponse::new(),
    };
    let wanted = partial.trim().trim_start_matches('#').to_lowercase();
    let mut found: Vec<(bool, String, i64)> = Vec::new();
    for r in &rels {
        let names: Vec<String> = r
            .members
            .iter()
            .map(|m| format!("{} ({})", name_of(ctx, g, m.user), m.role))
            .collect();
        let label = format!("#{} {}: {}", r.number, names.join(" & "), r.state);
        if wanted.is_empty() || label.to_lowercase().contains(&wanted) {
            found.push((!r.state.is_live(), label, r.number));
        }
    }
    // Stable: newest first within live and not live.
    found.sort_by_key(|f| f.0);
    let choices = found
        .into_iter()
        .take(25)
        .map(|(_, label, id)| AutocompleteChoice::new(fit(&label, CHOICE_MAX), id.to_string()))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// One mentorship of the program: look at it, pause, resume, end or nudge it (organisers).
#[poise::command(
    slash_command,
    guild_only,
    rename = "mentorship",
    default_member_permissions = "MANAGE_GUILD",
    subcommands("view", "pause", "resume", "end", "nudge")
)]
pub async fn mentorship_(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

fn health_text(h: Health) -> &'static str {
    match h {
        Health::Green => "🟢 green",
        Health::Amber => "🟠 amber (a past check-in nobody reported)",
        Health::Red => "🔴 red (no held check-in in the last two planned)",
    }
}

/// The view: ids, roles, dates and counts; nothing any member wrote.
pub fn view_text(v: &MentorshipView) -> String {
    let members: Vec<String> = v
        .members
        .iter()
        .map(|(u, role, status)| format!("{} {role} ({status})", mention(*u)))
        .collect();
    let mut out = format!(
        "**Mentorship #{}** ({}, {}): {}",
        v.number,
        v.kind,
        v.origin.as_str().replace('_', " "),
        v.state
    );
    if let Some(h) = v.health {
        out += &format!(", health {}", health_text(h));
    }
    out += &format!("\n**Members:** {}", members.join(", "));
    out += &format!("\n**Proposed:** {}", when(v.created_at));
    if let Some(t) = v.expires_at {
        out += &format!(", expires {}", when(t));
    }
    if let Some(t) = v.ended_at {
        out += &format!("\n**Ended:** {}", when(t));
    }
    out += &match v.last_checkin {
        Some((t, status)) => format!("\n**Last check-in:** {} ({status})", when(t)),
        None => "\n**Last check-in:** none reported yet".into(),
    };
    if let Some(t) = v.next_checkin {
        out += &format!("; next planned {}", when(t));
    }
    if !v.log.is_empty() {
        let lines: Vec<String> = v
            .log
            .iter()
            .map(|e| format!("{} {} {}", when(e.at), mention(e.actor), e.action))
            .collect();
        let (list, _) = limits::and_more(&lines, "; ", 1000);
        out += &format!("\n**Organisers' actions:** {list}");
    }
    out
}

/// Members, phase, last check-in and health of one mentorship; never its private words.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn view(
    ctx: Ctx<'_>,
    #[description = "The mentorship: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let id = number(&mentorship)?;
    let (is_admin, roles) = caller_rights(ctx);
    let v = ctx
        .data()
        .engine
        .view_mentorship(g, organiser(ctx, &roles, is_admin), id)
        .await?;
    say(ctx, view_text(&v)).await
}

/// Tells every joined member, in plain words.
async fn tell(ctx: Ctx<'_>, rel: &Relationship, users: &[UserId], text: String) {
    for &u in users {
        let message = limits::dm(text.clone());
        ctx.data().notifier.dm_always(rel.guild, Some(rel.id), u, message).await;
    }
}

async fn change(ctx: Ctx<'_>, mentorship: &str, action: HandAction) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let id = number(mentorship)?;
    let (is_admin, roles) = caller_rights(ctx);
    let rel = ctx
        .data()
        .engine
        .organiser_change(g, organiser(ctx, &roles, is_admin), id, action)
        .await?;
    let joined: Vec<UserId> = rel.joined().map(|m| m.user).collect();
    let (done, told) = match action {
        HandAction::Pause => (
            "paused",
            format!(
                "The program's organisers paused your mentorship #{}. Check-ins and reminders stop until it is \
                 resumed; nothing else changes. Questions? Ask the organisers.",
                rel.number
            ),
        ),
        HandAction::Resume => (
            "resumed",
            format!(
                "The program's organisers resumed your mentorship #{}. Check-ins and reminders start again on your \
                 agreement's schedule.",
                rel.number
            ),
        ),
        _ => ("ended", String::new()),
    };
    say(
        ctx,
        format!("Mentorship #{} is {done}. Its members were told by DM.", rel.number),
    )
    .await?;
    if action == HandAction::End {
        // The usual end: the retrospective prompt, saying who ended it.
        ctx.data().on_ended(&rel).await;
    } else {
        tell(ctx, &rel, &joined, told).await;
    }
    Ok(())
}

/// Pause a mentorship: its check-ins and reminders stop until it is resumed.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn pause(
    ctx: Ctx<'_>,
    #[description = "The mentorship: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    change(ctx, &mentorship, HandAction::Pause).await
}

/// Resume a paused mentorship.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn resume(
    ctx: Ctx<'_>,
    #[description = "The mentorship: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    change(ctx, &mentorship, HandAction::Resume).await
}

/// End a mentorship; its members get the retrospective prompt.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn end(
    ctx: Ctx<'_>,
    #[description = "The mentorship: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    change(ctx, &mentorship, HandAction::End).await
}

fn answer_buttons(rel: &Relationship) -> CreateActionRow {
    CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::on(Action::Accept, rel.guild, rel.id).encode())
            .label("Accept")
            .style(ButtonStyle::Success),
        CreateButton::new(CustomId::on(Action::Decline, rel.guild, rel.id).encode())
            .label("Decline")
            .style(ButtonStyle::Danger),
    ])
}

/// Nudge a mentorship: a reminder to answer its invitation, or to check in.
// Who has not answered an invitation gets it again with the buttons; members of a mentorship
// underway are asked how it goes.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn nudge(
    ctx: Ctx<'_>,
    #[description = "The mentorship: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let id = number(&mentorship)?;
    let (is_admin, roles) = caller_rights(ctx);
    let (rel, to) = ctx.data().engine.nudge(g, organiser(ctx, &roles, is_admin), id).await?;
    let names: Vec<String> = to.iter().map(|u| mention(*u)).collect();
    say(
        ctx,
        format!("Nudged mentorship #{}: a DM went to {}.", rel.number, names.join(", ")),
    )
    .await?;
    for &u in &to {
        let message = if rel.state == State::Proposed {
            let role = rel.member(u).map(|m| m.role).unwrap_or(Role::Mentee);
            limits::dm(format!(
                "A reminder from the program's organisers: the **{}** mentorship #{} with you as **{role}** is \
                 waiting for your answer. It expires {}. Accept or decline here.",
                rel.kind,
                rel.number,
                when(rel.expires_at)
            ))
            .components(vec![answer_buttons(&rel)])
        } else {
            limits::dm(format!(
                "The program's organisers are checking in on your mentorship #{}: how is it going? Record your last \
                 meeting with /mentorship checkin, and if something is in the way, tell the organisers.",
                rel.number
            ))
        };
        ctx.data().notifier.dm_always(rel.guild, Some(rel.id), u, message).await;
    }
    Ok(())
}

/// Propose a mentor and a mentee by hand: the same DMs, reasons and expiry as a published match.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn pair(
    ctx: Ctx<'_>,
    #[description = "The mentee (with an open request)"] mentee: User,
    #[description = "The mentor (with an open offer and a free place)"] mentor: User,
    #[description = "Classic or reverse (default: what the mentee asked for)"] kind: Option<PairKind>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    // The program file and its scores: more than a round trip before the answer.
    ctx.defer_ephemeral().await?;
    let kind = kind.map(|k| match k {
        PairKind::Classic => Kind::Classic,
        PairKind::Reverse => Kind::Reverse,
    });
    let bot = ctx.data().clone();
    let pair = bot
        .engine
        .pair_by_hand(
            g,
            organiser(ctx, &roles, is_admin),
            UserId(mentee.id.get()),
            UserId(mentor.id.get()),
            kind,
        )
        .await?;
    let rel = &pair.rel;
    let why = if pair.reasons.is_empty() {
        "chosen by the program's organisers".to_string()
    } else {
        pair.reasons.join("; ")
    };
    say(
        ctx,
        limits::shorten(
            &format!(
                "Proposed mentorship #{}: {} mentors {} ({}). Both get a DM with the reasons and Accept / Decline; \
                 it expires {}. /program unplace withdraws it.\n**Why:** {why}.",
                rel.number,
                mention(UserId(mentor.id.get())),
                mention(UserId(mentee.id.get())),
                rel.kind,
                when(rel.expires_at)
            ),
            limits::MESSAGE_MAX,
            "",
        ),
    )
    .await?;
    let reasons = pair.reasons.clone();
    let undelivered = super::matching::invite(&bot, rel, |role| {
        let list: Vec<String> = match role {
            Role::Mentor => reasons
                .iter()
                .map(|r| crate::engine::matching::mentor_view(r))
                .collect(),
            _ => reasons.clone(),
        };
        if list.is_empty() {
            "chosen by the program's organisers".to_string()
        } else {
            list.join("; ")
        }
    })
    .await;
    // The organiser hears of a DM that did not reach its person, as after a publish.
    if !undelivered.is_empty() {
        let lines: Vec<String> = undelivered
            .iter()
            .map(|(rel, u)| crate::discord::bot::undelivered_text(rel, *u))
            .collect();
        say(ctx, limits::shorten(&lines.join("\n"), limits::MESSAGE_MAX, "")).await?;
    }
    Ok(())
}

/// Withdraw a proposal still waiting for an answer; its members are told.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn unplace(
    ctx: Ctx<'_>,
    #[description = "The proposal: type part of a member's name"]
    #[autocomplete = "mentorships"]
    mentorship: String,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let id = number(&mentorship)?;
    let (is_admin, roles) = caller_rights(ctx);
    let rel = ctx
        .data()
        .engine
        .unplace(g, organiser(ctx, &roles, is_admin), id)
        .await?;
    say(
        ctx,
        format!(
            "Withdrew the proposal of mentorship #{}; its members were told. Their request and offer are open for \
             the next match.",
            rel.number
        ),
    )
    .await?;
    let everyone: Vec<UserId> = rel
        .members
        .iter()
        .filter(|m| m.status != crate::domain::relationship::MemberStatus::Declined)
        .map(|m| m.user)
        .collect();
    tell(
        ctx,
        &rel,
        &everyone,
        format!(
            "The program's organisers withdrew the proposal of mentorship #{}: there is nothing for you to answer. \
             Your request or offer stays open for the next match.",
            rel.number
        ),
    )
    .await;
    Ok(())
}
