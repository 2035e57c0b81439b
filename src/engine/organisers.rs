//! The organisers' view of the program (issue 6): health and counts for `/program stats`, the
//! relationships' CSV for `/program export`, and the coordinator's weekly digest.
//!
//! Everything here is counts, dates and ids. Journal entries are read as "this check-in has a
//! reflection" (ids only) and retrospectives not at all, so no member's words can reach an
//! organiser through these paths.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use super::{Engine, Result};
use crate::domain::checkin::{Checkin, CheckinStatus};
use crate::domain::ids::*;
use crate::domain::listing::Kind;
use crate::domain::relationship::{Relationship, Role, State};
use crate::schedule::next_after;
use crate::store::jobs::{Job, NewJob};

/// The chart covers this many weeks, the last one ending now.
pub const WEEKS: usize = 12;
/// The job kind of the digest (handled with the schedule's jobs).
pub const DIGEST: &str = "digest";
/// A check-in whose time is this long past and that nobody reported counts as an unanswered
/// did-you-meet when the agreement does not say how long meetings last.
const DEFAULT_MEETING_MINUTES: i64 = 60;

/// How a relationship underway is doing, for organisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    Green,
    /// A planned check-in is past and nobody said whether it happened.
    Amber,
    /// No held check-in in the last two planned periods.
    Red,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Green => "green",
            Health::Amber => "amber",
            Health::Red => "red",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthCounts {
    pub green: u32,
    pub amber: u32,
    pub red: u32,
}

impl HealthCounts {
    fn add(&mut self, h: Health) {
        match h {
            Health::Green => self.green += 1,
            Health::Amber => self.amber += 1,
            Health::Red => self.red += 1,
        }
    }
}

/// Check-ins of one week (seven days ending at `end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekCount {
    pub end: DateTime<Utc>,
    pub held: u32,
    /// Reported as not held (missed or skipped).
    pub missed: u32,
}

/// The program at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramStats {
    /// Relationships per state, in life-cycle order; states with none are left out.
    pub by_phase: Vec<(State, u32)>,
    /// The last [`WEEKS`] weeks, oldest first.
    pub weeks: Vec<WeekCount>,
    /// Held check-ins (all time) and how many of them have a reflection.
    pub held: u32,
    pub reflected: u32,
    /// Active relationships by health.
    pub health: HealthCounts,
}

impl ProgramStats {
    /// The share of held check-ins with a reflection, in percent (none held: none).
    pub fn reflection_percent(&self) -> Option<f64> {
        (self.held > 0).then(|| 100.0 * f64::from(self.reflected) / f64::from(self.held))
    }
}

/// One relationship as the organisers' CSV shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipReport {
    pub id: RelationshipId,
    /// The number people see (see [`Relationship::number`]).
    pub number: i64,
    pub kind: Kind,
    pub state: State,
    /// Members who joined or are invited, with their role (declined ones are left out).
    pub members: Vec<(UserId, Role)>,
    /// Each of `members`' answer: joined or invited.
    pub member_status: Vec<crate::domain::relationship::MemberStatus>,
    /// The agreement's start date, or the day it was proposed when there is none yet.
    pub start: NaiveDate,
    /// The agreement's planned end date.
    pub planned_end: Option<NaiveDate>,
    pub ended: Option<NaiveDate>,
    /// Check-ins on the calendar (a rescheduled one counts once, as its new time).
    pub planned: u32,
    pub held: u32,
    /// Reported as not held (missed or skipped).
    pub missed: u32,
    /// The last change to the relationship or report of a check-in.
    pub last_activity: DateTime<Utc>,
    /// Health, for active relationships.
    pub health: Option<Health>,
}

/// Where organisers' information goes: never the program channel, which every participant sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Organisers {
    /// The coordinator channel the server set, and the coordinator role to ping there.
    Channel { channel: u64, role: Option<u64> },
    /// No such channel: a DM to each member with the coordinator role.
    People(Vec<UserId>),
    /// Neither: a DM to the server's owner.
    Owner,
}

/// DMs to coordinators go to this many of them at most.
pub const MAX_COORDINATOR_DMS: usize = 10;

/// What the coordinator's digest says.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub guild: GuildId,
    /// Where it goes.
    pub to: Organisers,
    pub coordinator_role: Option<u64>,
    /// Open requests waiting for a match, and how many of them came in the last week.
    pub requests_waiting: u32,
    pub new_requests: u32,
    pub unplaced: Vec<UserId>,
    pub health: HealthCounts,
    /// Relationships at risk, red first: the number people see of each mentorship at risk, with its health.
    pub at_risk: Vec<(i64, Health)>,
    /// The program's proposals waiting for an answer, who has not answered them, and how many
    /// were declined or lapsed in the last weeks (issue 17).
    pub invitations_waiting: u32,
    pub not_answered: Vec<UserId>,
    pub declined: u32,
    pub lapsed: u32,
}

/// The states in life-cycle order, for the phase counts.
const PHASES: [State; 8] = [
    State::Proposed,
    State::Accepted,
    State::Agreeing,
    State::Active,
    State::Paused,
    State::Ended,
    State::Declined,
    State::Expired,
];

fn not_held(status: CheckinStatus) -> bool {
    matches!(status, CheckinStatus::Missed | CheckinStatus::Skipped)
}

/// The health of an active relationship from its check-ins (any order).
pub fn health(rel: &Relationship, checkins: &[Checkin], now: DateTime<Utc>) -> Health {
    let minutes = rel
        .agreement_in_force()
        .map(|a| i64::from(a.terms.meeting_minutes))
        .unwrap_or(DEFAULT_MEETING_MINUTES);
    let mut past: Vec<&Checkin> = checkins
        .iter()
        .filter(|c| c.status != CheckinStatus::Rescheduled && c.scheduled_at <= now)
        .collect();
    past.sort_by_key(|c| (c.scheduled_at, c.id));
    let last_two = &past[past.len().saturating_sub(2)..];
    if last_two.len() == 2 && last_two.iter().all(|c| c.status != CheckinStatus::Held) {
        return Health::Red;
    }
    let unanswered = past
        .iter()
        .any(|c| c.status == CheckinStatus::Planned && c.scheduled_at + Duration::minutes(minutes) <= now);
    if unanswered {
        Health::Amber
    } else {
        Health::Green
    }
}

/// The numbers of `/program stats` from the guild's relationships and check-ins.
pub fn stats(
    rels: &[Relationship],
    checkins: &[Checkin],
    reflected: &HashSet<CheckinId>,
    now: DateTime<Utc>,
) -> ProgramStats {
    let mut phases: BTreeMap<usize, (State, u32)> = BTreeMap::new();
    for r in rels {
        let order = PHASES.iter().position(|s| *s == r.state).unwrap_or(usize::MAX);
        phases.entry(order).or_insert((r.state, 0)).1 += 1;
    }
    let mut weeks: Vec<WeekCount> = (0..WEEKS)
        .map(|i| WeekCount {
            end: now - Duration::weeks((WEEKS - 1 - i) as i64),
            held: 0,
            missed: 0,
        })
        .collect();
    let (mut held, mut with_reflection) = (0, 0);
    for c in checkins {
        if c.status == CheckinStatus::Held {
            held += 1;
            if reflected.contains(&c.id) {
                with_reflection += 1;
            }
        }
        if c.scheduled_at > now {
            continue;
        }
        let ago = (now - c.scheduled_at).num_seconds() / Duration::weeks(1).num_seconds();
        if let Some(i) = usize::try_from(ago).ok().filter(|a| *a < WEEKS).map(|a| WEEKS - 1 - a) {
            if c.status == CheckinStatus::Held {
                weeks[i].held += 1;
            } else if not_held(c.status) {
                weeks[i].missed += 1;
            }
        }
    }
    let by_rel = group(checkins);
    let mut health_counts = HealthCounts::default();
    for r in rels.iter().filter(|r| r.state == State::Active) {
        health_counts.add(health(r, by_rel.get(&r.id).map(Vec::as_slice).unwrap_or(&[]), now));
    }
    ProgramStats {
        by_phase: phases.into_values().collect(),
        weeks,
        held,
        reflected: with_reflection,
        health: health_counts,
    }
}

fn group(checkins: &[Checkin]) -> HashMap<RelationshipId, Vec<Checkin>> {
    let mut by_rel: HashMap<RelationshipId, Vec<Checkin>> = HashMap::new();
    for c in checkins {
        by_rel.entry(c.relationship).or_default().push(c.clone());
    }
    by_rel
}

/// One report per relationship, oldest first.
pub fn reports(rels: &[Relationship], checkins: &[Checkin], now: DateTime<Utc>) -> Vec<RelationshipReport> {
    let by_rel = group(checkins);
    rels.iter()
        .map(|r| {
            let cs = by_rel.get(&r.id).map(Vec::as_slice).unwrap_or(&[]);
            let terms = r.agreement_in_force().or(r.latest_agreement()).map(|a| &a.terms);
            let last_report = cs.iter().filter_map(|c| c.reported_at).max();
            RelationshipReport {
                id: r.id,
                number: r.number,
                kind: r.kind,
                state: r.state,
                members: r
                    .members
                    .iter()
                    .filter(|m| m.status != crate::domain::relationship::MemberStatus::Declined)
                    .map(|m| (m.user, m.role))
                    .collect(),
                member_status: r
                    .members
                    .iter()
                    .filter(|m| m.status != crate::domain::relationship::MemberStatus::Declined)
                    .map(|m| m.status)
                    .collect(),
                start: terms.map(|t| t.start_date).unwrap_or(r.created_at.date_naive()),
                planned_end: terms.and_then(|t| t.end_date),
                ended: r.ended_at.map(|t| t.date_naive()),
                planned: cs.iter().filter(|c| c.status != CheckinStatus::Rescheduled).count() as u32,
                held: cs.iter().filter(|c| c.status == CheckinStatus::Held).count() as u32,
                missed: cs.iter().filter(|c| not_held(c.status)).count() as u32,
                last_activity: last_report.map_or(r.updated_at, |t| t.max(r.updated_at)),
                health: (r.state == State::Active).then(|| health(r, cs, now)),
            }
        })
        .collect()
}

/// A cell no spreadsheet runs as a formula: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading apostrophe (OWASP's advice for CSV injection).
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A CSV file (RFC 4180, through the `csv` crate) with every cell made safe ([`safe_cell`]).
pub fn write_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = out.write_record(header);
    for row in rows {
        let _ = out.write_record(row.iter().map(|c| safe_cell(c).into_owned()));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The relationships' CSV: one row each, members as `role:user id` separated by spaces.
pub fn reports_csv(reports: &[RelationshipReport]) -> String {
    reports_csv_named(reports, None)
}

/// The relationships' CSV with two more columns: `names`, each member's display name (from
/// `names`, by id) as `name (role)` separated by `; `, and `statuses`, each member's answer as
/// `role:joined` or `role:invited`.
pub fn reports_csv_named(reports: &[RelationshipReport], names: Option<&HashMap<UserId, String>>) -> String {
    let rows = reports.iter().map(|r| {
        let mut row = report_row(r);
        if let Some(names) = names {
            let named: Vec<String> = r
                .members
                .iter()
                .map(|(u, role)| format!("{} ({role})", names.get(u).map(String::as_str).unwrap_or("?")))
                .collect();
            let statuses: Vec<String> = r
                .members
                .iter()
                .zip(&r.member_status)
                .map(|((_, role), status)| format!("{role}:{status}"))
                .collect();
            row.push(named.join("; "));
            row.push(statuses.join(" "));
        }
        row
    });
    let mut header = vec![
        "relationship",
        "kind",
        "phase",
        "members",
        "start",
        "planned_end",
        "ended",
        "checkins_planned",
        "checkins_held",
        "checkins_missed",
        "last_activity",
        "health",
    ];
    if names.is_some() {
        header.extend(["names", "statuses"]);
    }
    write_csv(&header, rows)
}

fn report_row(r: &RelationshipReport) -> Vec<String> {
    {
        let members: Vec<String> = r.members.iter().map(|(u, role)| format!("{role}:{u}")).collect();
        vec![
            r.number.to_string(),
            r.kind.to_string(),
            r.state.to_string(),
            members.join(" "),
            r.start.to_string(),
            r.planned_end.map(|d| d.to_string()).unwrap_or_default(),
            r.ended.map(|d| d.to_string()).unwrap_or_default(),
            r.planned.to_string(),
            r.held.to_string(),
            r.missed.to_string(),
            r.last_activity.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            r.health.map(Health::as_str).unwrap_or_default().to_string(),
        ]
    }
}

fn digest_key(guild: GuildId, at: DateTime<Utc>) -> String {
    format!("digest:g{}:{}", guild.0, at.format("%Y-%m-%dT%H:%MZ"))
}

impl Engine {
    /// Where the server's organisers read what is for them alone.
    pub async fn organisers(&self, guild: GuildId) -> Result<Organisers> {
        let settings = self.program_settings(guild).await?;
        if let Some(channel) = settings.coordinator_channel {
            return Ok(Organisers::Channel {
                channel,
                role: settings.coordinator_role,
            });
        }
        if let Some(role) = settings.coordinator_role {
            let mut people = self.store.members_with_role(guild, role).await?;
            people.truncate(MAX_COORDINATOR_DMS);
            if !people.is_empty() {
                return Ok(Organisers::People(people));
            }
        }
        Ok(Organisers::Owner)
    }

    pub(super) async fn organiser_only(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<()> {
        self.require_organiser(
            guild,
            is_admin,
            roles,
            "only server admins and the program's coordinators can see the program's numbers",
        )
        .await
    }

    /// `/program stats`, for organisers only.
    pub async fn program_stats(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<ProgramStats> {
        self.organiser_only(guild, is_admin, roles).await?;
        let rels = self.store.relationships_in(guild).await?;
        let checkins = self.store.guild_checkins(guild).await?;
        let reflected: HashSet<CheckinId> = self.store.reflected_checkins(guild).await?.into_iter().collect();
        Ok(stats(&rels, &checkins, &reflected, self.now()))
    }

    /// The rows of the relationships' CSV, for organisers only.
    pub async fn relationship_reports(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
    ) -> Result<Vec<RelationshipReport>> {
        self.organiser_only(guild, is_admin, roles).await?;
        let rels = self.store.relationships_in(guild).await?;
        let checkins = self.store.guild_checkins(guild).await?;
        Ok(reports(&rels, &checkins, self.now()))
    }

    /// Plans the server's next digest after `after` (a job per occurrence; planning the same one
    /// twice keeps one). Returns when, or `None` when the digest is off.
    pub async fn plan_digest(&self, guild: GuildId, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let settings = self.program_settings(guild).await?;
        let Some((freq, tz)) = settings.digest_schedule() else {
            return Ok(None);
        };
        let start = after.with_timezone(&tz).naive_local() - Duration::days(1);
        let Some(next) = next_after(start, tz, &freq, after, None) else {
            return Ok(None);
        };
        let job = NewJob {
            guild,
            relationship: None,
            kind: DIGEST.to_string(),
            dedupe_key: digest_key(guild, next.utc),
            payload: json!({"cron": freq.to_string(), "tz": tz.name()}),
            run_at: next.utc,
        };
        self.store.enqueue(&job, self.now()).await?;
        Ok(Some(next.utc))
    }

    /// The next digest of every server with a program (after a start).
    pub async fn plan_digests(&self) -> Result<usize> {
        let guilds = self.store.program_guilds().await?;
        let now = self.now();
        for g in &guilds {
            if let Err(e) = self.plan_digest(*g, now).await {
                tracing::warn!(guild = g.0, error = %e, "planning the digest failed");
            }
        }
        Ok(guilds.len())
    }

    /// A digest job that is due: what to post, with the next one planned first. `None` when the
    /// setting changed since it was planned (the new setting planned its own) or the digest is off.
    pub async fn due_digest(&self, job: &Job) -> Result<Option<Digest>> {
        let settings = self.program_settings(job.guild).await?;
        let Some((freq, tz)) = settings.digest_schedule() else {
            return Ok(None);
        };
        let planned_as = json!({"cron": freq.to_string(), "tz": tz.name()});
        if job.payload != planned_as {
            return Ok(None);
        }
        let now = self.now();
        // After a long downtime only the next one is planned, not every week missed.
        self.plan_digest(job.guild, job.run_at.max(now)).await?;
        let requests = self.store.open_requests(job.guild).await?;
        let week_ago = now - Duration::weeks(1);
        let rels = self.store.relationships_in(job.guild).await?;
        let checkins = self.store.guild_checkins(job.guild).await?;
        let mut health_counts = HealthCounts::default();
        let mut at_risk = Vec::new();
        for r in reports(&rels, &checkins, now) {
            if let Some(h) = r.health {
                health_counts.add(h);
                if h != Health::Green {
                    at_risk.push((r.number, h));
                }
            }
        }
        at_risk.sort_by_key(|(n, h)| (std::cmp::Reverse(*h), *n));
        let lines = self.invitation_lines(job.guild).await?;
        let count = |a: super::invitation_status::Answer| lines.iter().filter(|l| l.answer == a).count() as u32;
        let mut not_answered: Vec<UserId> = lines
            .iter()
            .filter(|l| l.answer == super::invitation_status::Answer::Waiting)
            .flat_map(|l| l.not_answered())
            .collect();
        not_answered.sort_unstable();
        not_answered.dedup();
        Ok(Some(Digest {
            invitations_waiting: count(super::invitation_status::Answer::Waiting),
            not_answered,
            declined: count(super::invitation_status::Answer::Declined),
            lapsed: count(super::invitation_status::Answer::Lapsed),
            guild: job.guild,
            to: self.organisers(job.guild).await?,
            coordinator_role: settings.coordinator_role,
            requests_waiting: requests.len() as u32,
            new_requests: requests.iter().filter(|r| r.created_at > week_ago).count() as u32,
            unplaced: self.store.unplaced(job.guild).await?,
            health: health_counts,
            at_risk,
        }))
    }
}
