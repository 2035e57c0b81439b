//! "Suggest a change" on the Confirm message (issue 16, item 9): any member opens a form
//! prefilled from the proposed agreement with the five parts people change most (their own
//! expectations, the issue handling, the frequency, the next meeting in their own time zone,
//! the method); the rest stays as proposed. Submitting proposes a new version as the presser,
//! checked as `/mentorship agreement` checks it; a refusal changes nothing.
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::{Engine, Error, Result};
use crate::domain::agreement::{AgreementInput, AgreementTerms};
use crate::domain::ids::*;
use crate::domain::relationship::Relationship;
use crate::domain::validate::ValidationError;
use crate::schedule::{next_after, resolve_local};

/// How the form writes the next meeting.
pub const MEETING_FORMAT: &str = "%Y-%m-%d %H:%M";

/// The form, prefilled.
#[derive(Debug, Clone)]
pub struct ChangeForm {
    pub rel: Relationship,
    /// The version it starts from (the latest).
    pub version: u32,
    pub expectations: String,
    pub issue_handling: String,
    pub frequency: String,
    /// The next meeting, `YYYY-MM-DD HH:MM` in `zone`.
    pub next_meeting: String,
    pub method: String,
    /// The presser's own zone (their profile's, else the agreement's).
    pub zone: Tz,
}

/// The proposed agreement's next meeting from `now` on (its first, or a later occurrence).
fn next_meeting(terms: &AgreementTerms, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let first = terms.first_meeting();
    let first_utc = resolve_local(terms.timezone, first).with_timezone(&Utc);
    if first_utc > now {
        return Some(first_utc);
    }
    next_after(first, terms.timezone, &terms.frequency, now, terms.end_date).map(|o| o.utc)
}

impl Engine {
    /// The Suggest a change button: for members who may write the agreement, nobody else.
    pub async fn change_form(&self, guild: GuildId, rel: RelationshipId, user: UserId) -> Result<ChangeForm> {
        let r = self.joined_relationship(guild, rel, user).await?;
        r.require_agreement_writable(user)?;
        let a = r.latest_agreement().ok_or(Error::NotFound("agreement"))?.clone();
        let t = &a.terms;
        let zone = self.own_zone(guild, user, t.timezone).await?;
        let next = next_meeting(t, self.now())
            .map(|m| m.with_timezone(&zone).format(MEETING_FORMAT).to_string())
            .unwrap_or_default();
        Ok(ChangeForm {
            version: a.version,
            expectations: t
                .expectations
                .iter()
                .find(|e| e.user == user)
                .map(|e| e.text.clone())
                .unwrap_or_default(),
            issue_handling: t.issue_handling.clone(),
            frequency: t.frequency.to_string(),
            next_meeting: next,
            method: t.method.to_string(),
            zone,
            rel: r,
        })
    }

    /// The form submitted: a new version with the five parts as typed and the rest as
    /// proposed. The next meeting, typed in the presser's zone, becomes the start date and
    /// time in the agreement's zone (and its weekday the agreed day, when one was agreed).
    pub async fn suggest_change(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        user: UserId,
        field: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<(Relationship, u32)> {
        let r = self.joined_relationship(guild, rel, user).await?;
        r.require_agreement_writable(user)?;
        let t = r.latest_agreement().ok_or(Error::NotFound("agreement"))?.terms.clone();
        let zone = self.own_zone(guild, user, t.timezone).await?;
        let typed = field("next_meeting");
        let local = NaiveDateTime::parse_from_str(typed.trim(), MEETING_FORMAT).map_err(|_| {
            ValidationError::new(
                "next meeting",
                format!(
                    "\"{}\" is not a date and time; write it as YYYY-MM-DD HH:MM in your time zone ({})",
                    typed.trim(),
                    zone.name()
                ),
            )
        })?;
        let at = resolve_local(zone, local).with_timezone(&Utc);
        if at <= self.now() {
            return Err(ValidationError::new(
                "next meeting",
                format!(
                    "{} ({}) has already passed; choose a time ahead",
                    typed.trim(),
                    zone.name()
                ),
            )
            .into());
        }
        let agreed = at.with_timezone(&t.timezone).naive_local();
        let input = AgreementInput {
            expectations: field("expectations"),
            issue_handling: field("issue_handling"),
            frequency: field("frequency"),
            day: t.day.map(|_| agreed.date().weekday().to_string()),
            time: agreed.time().format("%H:%M").to_string(),
            timezone: t.timezone.name().to_string(),
            meeting_minutes: i64::from(t.meeting_minutes),
            method: field("method"),
            place: t.place.clone(),
            start_date: agreed.date().to_string(),
            end_date: t.end_date.map(|d| d.to_string()),
            missed_before_prompt: Some(i64::from(t.missed_before_prompt)),
        };
        self.propose_agreement(guild, rel, user, &input).await
    }
}
