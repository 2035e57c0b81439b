//! How things look in Discord: short texts with mentions and Discord timestamps.
use chrono::{DateTime, Utc};

use super::limits;
use crate::domain::agreement::Agreement;
use crate::domain::ids::UserId;
use crate::domain::relationship::{MemberStatus, NextContext, Relationship, State};

/// Several people, as mentions separated by commas.
pub fn mentions(users: &[UserId]) -> String {
    users.iter().map(|u| mention(*u)).collect::<Vec<_>>().join(", ")
}

pub fn mention(user: UserId) -> String {
    if (user.0 as i64) < crate::store::ANONYMOUS_BELOW {
        // Someone who asked to be forgotten.
        return "a former member".into();
    }
    format!("<@{}>", user.0)
}

/// A Discord timestamp: each reader sees it in their own time zone.
pub fn when(t: DateTime<Utc>) -> String {
    format!("<t:{}:F>", t.timestamp())
}

/// A Discord timestamp relative to now ("in 3 days"), in each reader's own terms.
pub fn relative(t: DateTime<Utc>) -> String {
    format!("<t:{}:R>", t.timestamp())
}

/// The agreement's first meeting as an instant (its local time in the agreement's zone; a time
/// the clocks skip is taken an hour later).
pub fn first_meeting_utc(t: &crate::domain::agreement::AgreementTerms) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let local = t.first_meeting();
    t.timezone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            t.timezone
                .from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

/// The phase alone: what to do is the line's "Next:" (issue 16, item 11), said once.
pub fn phase(state: State) -> &'static str {
    match state {
        State::Proposed => "proposed",
        State::Accepted => "accepted",
        State::Agreeing => "agreeing on the agreement",
        State::Active => "active",
        State::Paused => "paused",
        State::Ended => "ended",
        State::Declined => "declined",
        State::Expired => "expired",
    }
}

/// The other people of a relationship, as mentions.
pub fn others(rel: &Relationship, viewer: UserId) -> String {
    let names: Vec<String> = rel
        .members
        .iter()
        .filter(|m| m.user != viewer && m.status != MemberStatus::Declined)
        .map(|m| format!("{} ({})", mention(m.user), m.role))
        .collect();
    if names.is_empty() {
        "nobody yet".into()
    } else {
        names.join(", ")
    }
}

pub fn relationship_line(rel: &Relationship, viewer: UserId, ctx: &NextContext) -> String {
    let meeting = match (rel.state, ctx.next_meeting) {
        (State::Active, Some(t)) if !ctx.met_once => format!(" First meeting: {}.", when(t)),
        (State::Active, Some(t)) => format!(" Next meeting: {}.", when(t)),
        _ => String::new(),
    };
    format!(
        "**#{}** {} mentorship with {}: {}.{meeting} Next: {}.\n> {}",
        rel.number,
        rel.kind,
        others(rel, viewer),
        phase(rel.state),
        rel.next_step(viewer, ctx),
        rel.purpose
    )
}

/// Where a shortened purpose stands whole.
pub const PURPOSE_IN_FULL: &str = " (in full: /mentorship list)";

/// `template` with its `{text}` marker replaced by the purpose, shortened with a pointer to
/// `/mentorship list` when the message would not fit in `max`.
pub fn with_purpose(template: &str, purpose: &str, max: usize) -> String {
    limits::place(template, purpose, max, PURPOSE_IN_FULL)
}

/// Said under an agreement whose texts were shortened to fit one message.
pub const AGREEMENT_IN_FULL: &str = "Texts ending in … are shortened: press **Show in full** to read every word.";

/// An agreement laid out within `max` characters: the logistics whole, each member's
/// expectations and the issue handling shortened to a fair share of what is left when they do
/// not all fit. The flag says whether any was shortened (the message then gets "Show in full").
pub fn agreement_text(rel: &Relationship, a: &Agreement, max: usize) -> (String, bool) {
    let t = &a.terms;
    let head = format!(
        "**Agreement for mentorship #{}, version {}** (by {})\n",
        rel.number,
        a.version,
        mention(a.author)
    );
    let labels: Vec<String> = t
        .expectations
        .iter()
        .map(|e| format!("**{} expects:** ", mention(e.user)))
        .chain(std::iter::once("**If issues come up:** ".to_string()))
        .collect();
    let texts: Vec<&str> = t
        .expectations
        .iter()
        .map(|e| e.text.as_str())
        .chain(std::iter::once(t.issue_handling.as_str()))
        .collect();
    let day = t.day.map(|d| format!("{d} ")).unwrap_or_default();
    // The time of day in each reader's own zone (issue 16, item 10); the wall time agreed on
    // follows as what was agreed, named with its zone.
    let agreed = format!("{day}{} {}", t.local_time.format("%H:%M"), t.timezone.name());
    let at = match first_meeting_utc(t) {
        Some(first) => format!("at <t:{}:t> your time (agreed as {agreed})", first.timestamp()),
        None => format!("at {agreed}"),
    };
    let mut tail = format!(
        "**Meetings:** {} {at}, {} minutes, by {}{}\n",
        t.frequency,
        t.meeting_minutes,
        t.method,
        t.place.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()
    );
    tail += &format!(
        "**From** {}{}\n",
        t.start_date,
        t.end_date.map(|d| format!(" **to** {d}")).unwrap_or_default()
    );
    // Each reader sees the first meeting in their own zone (issue 16, item 10).
    if let Some(first) = first_meeting_utc(t) {
        tail += &format!("**First meeting:** {} ({})\n", when(first), relative(first));
    }
    let pending: Vec<String> = rel
        .joined()
        .filter(|m| !a.confirmed_by.contains(&m.user))
        .map(|m| mention(m.user))
        .collect();
    if pending.is_empty() {
        tail += "Confirmed by everyone.";
    } else {
        tail += &format!("Waiting for confirmation from {}.", pending.join(", "));
    }
    // Any member may propose a change (issue 16, item 9): the command prefills the rest; the
    // button's form asks the five parts people change most.
    tail += &format!(
        "\nSuggest a change: /mentorship agreement mentorship:{} with only the options that change (it changes \
         everything), or the Suggest a change button (expectations, issue handling, frequency, next meeting, \
         method; the rest stays as proposed).",
        rel.number
    );
    let fixed = limits::len(&head)
        + labels.iter().map(|l| limits::len(l) + 1).sum::<usize>()
        + limits::len(&tail)
        + 1
        + limits::len(AGREEMENT_IN_FULL);
    let lengths: Vec<usize> = texts.iter().map(|x| limits::len(x)).collect();
    let shares = limits::shares(&lengths, max.saturating_sub(fixed));
    let mut out = head;
    let mut shortened = false;
    for ((label, text), share) in labels.iter().zip(&texts).zip(shares) {
        let shown = limits::fit(text, share);
        shortened |= shown.len() != text.len();
        out += &format!("{label}{shown}\n");
    }
    out += &tail;
    if shortened {
        out += "\n";
        out += AGREEMENT_IN_FULL;
    }
    (out, shortened)
}
