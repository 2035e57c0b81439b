//! The process guide in messages (issue 13): the tips and resources a transition message
//! carries, the midpoint's private fit check, the retrospective's rating and "Find me another"
//! buttons, and the one-time welcome.
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton};
use tracing::warn;

use super::ids::{Action, CustomId};
use super::limits;
use crate::domain::guide::{Fit, Resource, Transition};
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::domain::preferences::Muted;
use crate::engine::Engine;

/// The most a transition message gives its resources; the guide lists them all.
pub const RESOURCES_ROOM: usize = 600;
/// The most a tips block takes: the tips and the resources.
pub const TIPS_MAX: usize = 330 + RESOURCES_ROOM;

/// The tips for the phase that starts, then the program's resources for it (as many as fit,
/// with "and N more" and where they all stand).
pub fn tips_block(transition: Transition, resources: &[Resource]) -> String {
    let mut text = format!("\n\n{}", transition.tips());
    if !resources.is_empty() {
        let head = "\n**Your program's resources:**\n";
        let lines: Vec<String> = resources.iter().map(Resource::line).collect();
        let pointer = format!(" (all: `/mentor guide phase:{}`)", transition.phase().as_str());
        let room = RESOURCES_ROOM.saturating_sub(limits::len(head) + limits::len(&pointer));
        let (list, cut) = limits::and_more(&lines, "\n", room);
        text += head;
        text += &list;
        if cut {
            text += &pointer;
        }
    }
    text
}

/// [`tips_block`] with the server's resources for the phase, read now. A failure to read them
/// leaves the tips alone rather than the message unsent.
pub async fn tips(engine: &Engine, guild: GuildId, transition: Transition) -> String {
    let resources = match engine.resources_for(guild, transition.phase()).await {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "could not read the program's resources");
            Vec::new()
        }
    };
    tips_block(transition, &resources)
}

/// [`tips`] for one reader: nothing when they muted tips (`/mentor notifications`), and the
/// tips when their preferences cannot be read (a message is better with them than unsent).
pub async fn tips_for(engine: &Engine, guild: GuildId, reader: UserId, transition: Transition) -> String {
    match engine.notification_prefs(guild, reader).await {
        Ok(p) if !p.wants(Muted::Tips) => String::new(),
        _ => tips(engine, guild, transition).await,
    }
}

fn button(action: Action, numbers: &[u64], label: &str, style: ButtonStyle) -> CreateButton {
    CreateButton::new(CustomId::new(action, numbers).encode())
        .label(label)
        .style(style)
}

/// The midpoint's question, asked of each member in their own DM.
pub const FIT_QUESTION: &str = "**Is this mentorship working for you?** Only you see your answer: not the others, not \
     the organisers.";

pub fn fit_buttons(guild: GuildId, rel: RelationshipId) -> CreateActionRow {
    let n = |f: Fit| [guild.0, rel.0 as u64, f.code()];
    CreateActionRow::Buttons(vec![
        button(Action::Fit, &n(Fit::Yes), "Yes", ButtonStyle::Success),
        button(Action::Fit, &n(Fit::Partly), "Partly", ButtonStyle::Primary),
        button(Action::Fit, &n(Fit::No), "No", ButtonStyle::Secondary),
    ])
}

/// The answer to a fit check, to the member alone; "no" offers the early end and the way to a
/// rematch.
pub fn fit_answer(guild: GuildId, rel: RelationshipId, number: i64, fit: Fit) -> (String, Vec<CreateActionRow>) {
    match fit {
        Fit::Yes => (
            format!("Good to hear that mentorship #{number} is working for you. Only you see this answer."),
            Vec::new(),
        ),
        Fit::Partly => (
            format!(
                "Thank you for saying so; only you see this answer. Parts not working are worth raising together: \
                 the agreement of mentorship #{number} can change (`/mentorship agreement`), and so can the goals \
                 (`/mentorship plan rename`, `/mentorship plan drop`, `/mentorship plan add`)."
            ),
            Vec::new(),
        ),
        Fit::No => (
            format!(
                "Thank you for being honest; only you see this answer. Not every match fits, and that is nobody's \
                 fault: the guide says to look for another mentor or mentee when the fit is not there. You can talk \
                 it over with the others first, or end mentorship #{number} early now with the button below; a short \
                 retrospective follows, and **Find me another** then re-opens your request (or offer) and shows who \
                 else fits, never the same person again."
            ),
            vec![CreateActionRow::Buttons(vec![button(
                Action::EndRel,
                &[guild.0, rel.0 as u64],
                "End it early",
                ButtonStyle::Danger,
            )])],
        ),
    }
}

/// The retrospective's rating and "Find me another", under the end message.
pub fn ending_rows(guild: GuildId, rel: RelationshipId) -> Vec<CreateActionRow> {
    let n = [guild.0, rel.0 as u64];
    let values = (1..=5u64)
        .map(|v| {
            button(
                Action::Rate,
                &[guild.0, rel.0 as u64, v],
                &format!("{v} {}", "★".repeat(v as usize)),
                ButtonStyle::Secondary,
            )
        })
        .collect();
    vec![
        CreateActionRow::Buttons(vec![
            button(Action::Retro, &n, "Write my retrospective", ButtonStyle::Primary),
            button(Action::FindAnother, &n, "Find me another", ButtonStyle::Success),
        ]),
        CreateActionRow::Buttons(values),
        CreateActionRow::Buttons(vec![
            button(
                Action::Again,
                &[guild.0, rel.0 as u64, 1],
                "I would join again",
                ButtonStyle::Success,
            ),
            button(
                Action::Again,
                &[guild.0, rel.0 as u64, 0],
                "I would not",
                ButtonStyle::Secondary,
            ),
        ]),
    ]
}

/// The question the rating buttons answer, in the end message.
pub const RATING_QUESTION: &str = "**How valuable was this mentorship** (1 not at all, 5 very)? **Would you join the \
     program again?** Organisers see only counts, never who answered what.";
