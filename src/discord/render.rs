//! How things look in Discord: short texts with mentions and Discord timestamps.
use chrono::{DateTime, Utc};

use crate::domain::agreement::Agreement;
use crate::domain::ids::UserId;
use crate::domain::relationship::{MemberStatus, Relationship, State};

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

pub fn phase(state: State) -> &'static str {
    match state {
        State::Proposed => "proposed (waiting for answers)",
        State::Accepted => "accepted (write the agreement)",
        State::Agreeing => "agreeing (confirm the agreement)",
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

pub fn relationship_line(rel: &Relationship, viewer: UserId) -> String {
    format!(
        "**#{}** {} mentorship with {}: {}. Next: {}.\n> {}",
        rel.id,
        rel.kind,
        others(rel, viewer),
        phase(rel.state),
        rel.next_step(viewer),
        rel.purpose
    )
}

pub fn agreement_text(rel: &Relationship, a: &Agreement) -> String {
    let t = &a.terms;
    let mut out = format!(
        "**Agreement for mentorship #{}, version {}** (by {})\n",
        rel.id,
        a.version,
        mention(a.author)
    );
    for e in &t.expectations {
        out += &format!("**{} expects:** {}\n", mention(e.user), e.text);
    }
    out += &format!("**If issues come up:** {}\n", t.issue_handling);
    let day = t.day.map(|d| format!(" on {d}")).unwrap_or_default();
    out += &format!(
        "**Meetings:** {}{day} at {} ({}), {} minutes, by {}{}\n",
        t.frequency,
        t.local_time.format("%H:%M"),
        t.timezone.name(),
        t.meeting_minutes,
        t.method,
        t.place.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()
    );
    out += &format!(
        "**From** {}{}\n",
        t.start_date,
        t.end_date.map(|d| format!(" **to** {d}")).unwrap_or_default()
    );
    let pending: Vec<String> = rel
        .joined()
        .filter(|m| !a.confirmed_by.contains(&m.user))
        .map(|m| mention(m.user))
        .collect();
    if pending.is_empty() {
        out += "Confirmed by everyone.";
    } else {
        out += &format!("Waiting for confirmation from {}.", pending.join(", "));
    }
    out
}
