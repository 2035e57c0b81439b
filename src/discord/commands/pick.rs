//! Autocomplete for the options that name one of the caller's own things (issue 16, item 8):
//! mentorships by the people and purpose, goals and steps by their words, journal entries by
//! date and first answer. Only the caller's own items are offered; the value is the number the
//! command takes (see `engine::numbers`).
use serenity::all::{AutocompleteChoice, CreateAutocompleteResponse, ResolvedValue};

use super::hands::name_of;
use super::{caller, fit, guild};
use crate::discord::reply::Ctx;
use crate::domain::ids::RelationshipId;
use crate::domain::relationship::Relationship;
use crate::engine::numbers::{in_progress, numbered_steps};

/// Discord's limit on an autocomplete choice's name.
const CHOICE_MAX: usize = 100;
/// Discord shows at most this many choices.
const CHOICES: usize = 25;

/// "#12 with Ada: Learn Rust…": the others' names and the purpose, as the caller knows them.
pub fn mentorship_label(ctx: Ctx<'_>, rel: &Relationship) -> String {
    let me = caller(ctx);
    let others: Vec<String> = rel
        .members
        .iter()
        .filter(|m| m.user != me)
        .map(|m| name_of(ctx, rel.guild, m.user))
        .collect();
    let purpose = rel.purpose.split_whitespace().collect::<Vec<_>>().join(" ");
    let state = if rel.state.is_live() {
        String::new()
    } else {
        format!(" ({})", rel.state)
    };
    fit(
        &format!("#{} with {}{state}: {purpose}", rel.number, others.join(", ")),
        CHOICE_MAX,
    )
}

fn respond(choices: Vec<(String, i64)>, partial: &str) -> CreateAutocompleteResponse {
    let wanted = partial.trim().trim_start_matches('#').to_lowercase();
    let choices = choices
        .into_iter()
        .filter(|(label, _)| wanted.is_empty() || label.to_lowercase().contains(&wanted))
        .take(CHOICES)
        .map(|(label, value)| AutocompleteChoice::new(label, value))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// The caller's mentorships: those in progress first, then the ended ones, newest first.
pub async fn my_mentorships(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Ok(g) = guild(ctx) else {
        return CreateAutocompleteResponse::new();
    };
    let Ok(mut rels) = ctx.data().engine.relationships(g, caller(ctx)).await else {
        return CreateAutocompleteResponse::new();
    };
    rels.sort_by_key(|r| (!r.state.is_live(), std::cmp::Reverse(r.id)));
    respond(
        rels.iter().map(|r| (mentorship_label(ctx, r), r.number)).collect(),
        partial,
    )
}

/// The mentorship the command's other option names, else the caller's only one in progress.
async fn chosen_mentorship(ctx: Ctx<'_>) -> Option<RelationshipId> {
    let given = ctx
        .args
        .iter()
        .find(|o| o.name == "mentorship")
        .and_then(|o| match o.value {
            ResolvedValue::Integer(n) => Some(n),
            _ => None,
        });
    let rels = ctx
        .data()
        .engine
        .relationships(guild(ctx).ok()?, caller(ctx))
        .await
        .ok()?;
    if let Some(n) = given {
        return rels.iter().find(|r| r.number == n).map(|r| r.id);
    }
    match in_progress(&rels, caller(ctx)).as_slice() {
        [only] => Some(only.id),
        _ => None,
    }
}

/// The goals of the chosen mentorship's plan, by number.
pub async fn my_goals(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let (Ok(g), Some(rel)) = (guild(ctx), chosen_mentorship(ctx).await) else {
        return CreateAutocompleteResponse::new();
    };
    let Ok(goals) = ctx.data().engine.plan(g, rel, caller(ctx)).await else {
        return CreateAutocompleteResponse::new();
    };
    let choices = goals
        .iter()
        .zip(1..)
        .map(|(goal, n)| (fit(&format!("{n}: {} ({})", goal.title, goal.status), CHOICE_MAX), n))
        .collect();
    respond(choices, partial)
}

/// The steps of the chosen mentorship's plan, by number.
pub async fn my_steps(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let (Ok(g), Some(rel)) = (guild(ctx), chosen_mentorship(ctx).await) else {
        return CreateAutocompleteResponse::new();
    };
    let Ok(goals) = ctx.data().engine.plan(g, rel, caller(ctx)).await else {
        return CreateAutocompleteResponse::new();
    };
    let choices = numbered_steps(&goals)
        .into_iter()
        .map(|(n, goal, s)| {
            let label = format!("{n}: {} ({}; goal: {})", s.text, s.status, goal.title);
            (fit(&label, CHOICE_MAX), n)
        })
        .collect();
    respond(choices, partial)
}

/// The caller's own journal entries, newest first, by their number.
pub async fn my_entries(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Ok(g) = guild(ctx) else {
        return CreateAutocompleteResponse::new();
    };
    let Ok(entries) = ctx.data().engine.my_journal_numbered(g, caller(ctx)).await else {
        return CreateAutocompleteResponse::new();
    };
    // A choice shows no Discord timestamp: the day is the caller's own (issue 16, item 10).
    let zone = ctx
        .data()
        .engine
        .own_zone(g, caller(ctx), chrono_tz::UTC)
        .await
        .unwrap_or(chrono_tz::UTC);
    let Ok(numbers) = ctx.data().engine.mentorship_numbers(g, caller(ctx)).await else {
        return CreateAutocompleteResponse::new();
    };
    let choices = entries
        .iter()
        .rev()
        .map(|(n, e)| {
            let first = e.answers.first().map(|a| a.answer.as_str()).unwrap_or_default();
            let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
            let shared = if e.shared { ", shared" } else { "" };
            let label = format!(
                "{n}: {} (mentorship #{}{shared}) {first}",
                e.created_at.with_timezone(&zone).format("%Y-%m-%d"),
                numbers.get(&e.relationship).copied().unwrap_or_default()
            );
            (fit(&label, CHOICE_MAX), *n)
        })
        .collect();
    respond(choices, partial)
}
