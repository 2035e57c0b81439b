//! The schedule: from the agreement in force to check-ins and the jobs that remind, ask and
//! prompt around them. Everything is rows (check-ins, jobs with dedupe keys), so planning is
//! idempotent and a restart loses nothing; [`Engine::sync_schedule`] brings the rows in line with
//! the relationship's state after every change, and again for every active relationship on start.
//!
//! The job handlers (in the Discord layer) ask the engine what is due (`due_*`): a job whose
//! moment has gone (the meeting passed, the relationship paused) is dropped, not sent.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::json;

use super::{Engine, Error, Result};
use crate::domain::agreement::AgreementTerms;
use crate::domain::checkin::{Checkin, CheckinSource, CheckinStatus};
use crate::domain::ids::*;
use crate::domain::plan::ItemStatus;
use crate::domain::relationship::{EndReason, Relationship, State};
use crate::domain::validate::ValidationError;
use crate::schedule::{next_after, resolve_local, Frequency};
use crate::store::jobs::{Job, NewJob};
use crate::store::ScheduleState;

/// The kinds of scheduled work.
pub mod kind {
    /// Plan the next occurrences (rolls the schedule forward).
    pub const PLAN: &str = "plan";
    pub const REMINDER: &str = "reminder";
    pub const DID_YOU_MEET: &str = "did_you_meet";
    pub const NUDGE: &str = "nudge";
    pub const ISSUES: &str = "issue_prompt";
    pub const MIDPOINT: &str = "midpoint";
    pub const PLANNED_END: &str = "planned_end";
    pub const RETRO_REMINDER: &str = "retro_reminder";
    pub const CELEBRATE: &str = "celebrate";
    /// An invitation still unanswered halfway to its expiry: its invitees are reminded once.
    pub const INVITE_REMINDER: &str = "invite_reminder";
    /// A mentorship accepted a while ago with no agreement in force yet: its members are reminded.
    pub const AGREE_REMINDER: &str = "agree_reminder";
    /// Add a member to the relationship's private thread (after adding them failed).
    pub const THREAD_MEMBER: &str = "thread_member";
    /// Bring a relationship's schedule in line after a change whose own re-planning failed
    /// (`payload.rel`; no `relationship`, so the sync cancelling that relationship's pending
    /// jobs does not cancel it).
    pub const SYNC: &str = "sync";
    /// Delete finished jobs past the retention period; plans the next one a day later.
    pub const PURGE: &str = "purge_jobs";
}

/// Occurrences are planned this far beyond the longest reminder lead.
const LOOKAHEAD_DAYS: i64 = 7;
/// How long after the did-you-meet an unanswered one gets its one nudge.
pub const NUDGE_AFTER_HOURS: i64 = 48;
/// How long after the acceptance a mentorship without an agreement in force gets its reminder.
pub const AGREE_REMINDER_DAYS: i64 = 7;
/// How long after the end an unwritten retrospective gets its reminder.
pub const RETRO_REMINDER_DAYS: i64 = 3;

/// What a member says after a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingAnswer {
    Met,
    NotThisTime,
}

/// A reminder to send now.
#[derive(Debug, Clone)]
pub struct ReminderDue {
    pub rel: Relationship,
    pub checkin: Checkin,
    pub terms: AgreementTerms,
    /// The open steps of the action plan: the meeting's agenda.
    pub agenda: Vec<String>,
}

/// A prompt about one check-in (did you meet, the nudge).
#[derive(Debug, Clone)]
pub struct CheckinDue {
    pub rel: Relationship,
    pub checkin: Checkin,
}

/// The issue-handling prompt after missed meetings.
#[derive(Debug, Clone)]
pub struct IssuesDue {
    pub rel: Relationship,
    pub missed: u32,
    /// The version of the agreement in force (its issue handling is quoted).
    pub version: u32,
    pub issue_handling: String,
    /// Where the organisers hear of it (never the program channel).
    pub organisers: super::organisers::Organisers,
}

/// The celebration post, when every member agreed to it.
#[derive(Debug, Clone)]
pub struct CelebrationDue {
    pub rel: Relationship,
    pub channel: u64,
    /// What each member wrote should be celebrated.
    pub notes: Vec<(UserId, String)>,
}

/// A moved check-in: the old one and its replacement.
#[derive(Debug, Clone)]
pub struct Moved {
    pub rel: Relationship,
    pub old: Checkin,
    pub new: Checkin,
}

fn key(rel: RelationshipId, rest: impl std::fmt::Display) -> String {
    format!("r{}:{rest}", rel.0)
}

/// The prefix of every job of one check-in.
fn checkin_prefix(rel: RelationshipId, checkin: CheckinId) -> String {
    key(rel, format!("c{}:", checkin.0))
}

fn payload_checkin(job: &Job) -> Result<CheckinId> {
    job.payload
        .get("checkin")
        .and_then(|v| v.as_i64())
        .map(CheckinId)
        .ok_or(Error::NotFound("check-in of the job"))
}

/// The `sync` job that moves the planned reminders of `rel` after `user` changed their lead
/// times (one key per person and change).
pub(super) fn reminders_sync_job(rel: &Relationship, user: UserId, now: DateTime<Utc>) -> NewJob {
    NewJob {
        guild: rel.guild,
        relationship: None,
        kind: kind::SYNC.to_string(),
        dedupe_key: key(rel.id, format!("sync:leads:u{}:{}", user.0, now.timestamp_millis())),
        payload: json!({ "rel": rel.id.0, "reminders": true }),
        run_at: now,
    }
}

/// The instant the agreement ends: the end of its end date, plus one meeting's length so the
/// last meeting's did-you-meet comes first.
pub fn planned_end(terms: &AgreementTerms) -> Option<DateTime<Utc>> {
    let end = terms.end_date?;
    let next_day = end.succ_opt()?.and_time(NaiveTime::MIN);
    Some(resolve_local(terms.timezone, next_day).with_timezone(&Utc) + Duration::minutes(terms.meeting_minutes.into()))
}

/// Every member wrote a retrospective and agreed to celebrate in public.
fn everyone_celebrates(rel: &Relationship, retros: &[crate::domain::retrospective::Retrospective]) -> bool {
    rel.joined()
        .all(|m| retros.iter().any(|r| r.author == m.user && r.celebrate_publicly))
}

/// What [`Engine::sync_loaded`] reads besides the relationship itself.
enum Loaded {
    /// Not read yet: read it.
    Read,
    /// Read by the catch-up for a whole page: the schedule state (if any) and every lead time.
    Given {
        state: Option<ScheduleState>,
        leads: Vec<u32>,
    },
}

impl Engine {
    fn job(
        &self,
        rel: &Relationship,
        kind: &str,
        key: String,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> NewJob {
        NewJob {
            guild: rel.guild,
            relationship: Some(rel.id),
            kind: kind.to_string(),
            dedupe_key: key,
            payload,
            run_at: at,
        }
    }

    /// Brings the schedule's rows in line with the relationship: planned while active with an
    /// agreement in force (replanned when the version in force changed), nothing pending while
    /// paused, and after the end only the retrospective reminder. Safe to call any number of times.
    pub async fn sync_schedule(&self, guild: GuildId, id: RelationshipId) -> Result<()> {
        let mut jobs = Vec::new();
        self.sync_schedule_into(guild, id, &mut jobs).await?;
        self.store.enqueue_many(&jobs, self.now()).await?;
        Ok(())
    }

    /// [`Engine::sync_schedule`] but for the enqueue: the jobs to plan are added to `jobs`, for
    /// the caller to plan after every cancellation this made (the catch-up plans those of many
    /// mentorships in one statement).
    async fn sync_schedule_into(&self, guild: GuildId, id: RelationshipId, jobs: &mut Vec<NewJob>) -> Result<()> {
        let rel = self.load(guild, id).await?;
        self.sync_loaded(rel, Loaded::Read, jobs).await
    }

    /// [`Engine::sync_schedule_into`] for a relationship already read, with what planning it
    /// reads besides (its schedule state and its members' lead times) either read here or
    /// handed in by the catch-up, which reads them for a whole page at once.
    async fn sync_loaded(&self, rel: Relationship, known: Loaded, jobs: &mut Vec<NewJob>) -> Result<()> {
        let (guild, id) = (rel.guild, rel.id);
        let now = self.now();
        match rel.state {
            State::Active => {
                let Some(agreement) = rel.agreement_in_force() else {
                    return Ok(());
                };
                let (state, leads) = match known {
                    Loaded::Read => {
                        let program = self.program_settings(guild).await?.reminder_leads;
                        (
                            self.store.schedule_state(guild, id).await?,
                            self.all_leads(&rel, &program).await?,
                        )
                    }
                    Loaded::Given { state, leads } => (state, leads),
                };
                let state = match state {
                    Some(s) if s.agreement_version == agreement.version => s,
                    _ => {
                        // A new plan (first confirmation, an edit, a resume): future check-ins the
                        // bot planned go, past ones stay as they were.
                        self.drop_future_plan(&rel, now).await?;
                        let s = ScheduleState {
                            guild,
                            relationship: id,
                            agreement_version: agreement.version,
                            planned_from: now,
                            planned_until: None,
                        };
                        self.store.save_schedule_state(&s).await?;
                        s
                    }
                };
                self.plan_ahead(&rel, &agreement.terms, state, &leads, jobs).await
            }
            State::Paused | State::Ended => {
                self.store.cancel_pending_for_relationship(guild, id, now).await?;
                self.store.delete_planned_checkins(guild, id, now).await?;
                self.store.delete_schedule_state(guild, id).await?;
                if rel.state == State::Paused {
                    return Ok(());
                }
                let ended = rel.ended_at.unwrap_or(now);
                jobs.push(self.job(
                    &rel,
                    kind::RETRO_REMINDER,
                    key(id, "retro_reminder"),
                    json!({}),
                    ended + Duration::days(RETRO_REMINDER_DAYS),
                ));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Saves a change to a relationship that may change its schedule, with a `sync` job for it
    /// in the same transaction (an outbox), then brings the schedule in line at once and drops
    /// the job. A crash or an error after the save leaves the job, which does it, with backoff
    /// until it succeeds: no change can leave a mentorship without its schedule.
    pub(super) async fn save_and_replan(&self, rel: &mut Relationship) -> Result<()> {
        let now = self.now();
        let job = NewJob {
            guild: rel.guild,
            relationship: None,
            kind: kind::SYNC.to_string(),
            // The revision this save makes: one key per change, never planned twice.
            dedupe_key: key(rel.id, format!("sync:v{}", rel.revision + 1)),
            payload: json!({ "rel": rel.id.0 }),
            run_at: now,
        };
        self.store
            .save_relationship_and_enqueue(rel, None, std::slice::from_ref(&job), now)
            .await?;
        if self.stopped_after_save() {
            return Ok(());
        }
        match self.sync_schedule(rel.guild, rel.id).await {
            Ok(()) => {
                // Done already; a worker that took the job meanwhile just runs it again.
                if let Err(e) = self.store.drop_pending(&job.dedupe_key).await {
                    tracing::debug!(rel = rel.id.0, error = %e, "the done sync job stays and runs again");
                }
            }
            Err(e) => tracing::warn!(rel = rel.id.0, error = %e, "could not update the schedule now; its job will"),
        }
        Ok(())
    }

    /// A `sync` job: the schedule of its relationship, brought in line (and with `reminders`,
    /// its planned reminders moved to the lead times wanted now).
    pub async fn run_sync(&self, job: &Job) -> Result<()> {
        let id = job
            .payload
            .get("rel")
            .and_then(serde_json::Value::as_i64)
            .ok_or(Error::NotFound("relationship of the job"))?;
        if job.payload.get("reminders").and_then(serde_json::Value::as_bool) == Some(true) {
            return self.replan_reminders(job.guild, RelationshipId(id)).await;
        }
        self.sync_schedule(job.guild, RelationshipId(id)).await
    }

    /// Moves the reminders of the check-ins already planned to the lead times the members want
    /// now (issue 16, item 13): a pending reminder at a lead nobody wants any more goes, one at
    /// each wanted lead still ahead is planned. A reminder already sent is never planned again
    /// (its key is done), and a running one finishes for those who still want it (`reminded_at`).
    pub(super) async fn replan_reminders(&self, guild: GuildId, id: RelationshipId) -> Result<()> {
        self.sync_schedule(guild, id).await?;
        let rel = self.load(guild, id).await?;
        if rel.state != State::Active || rel.agreement_in_force().is_none() {
            return Ok(());
        }
        let now = self.now();
        let program = self.program_settings(guild).await?.reminder_leads;
        let leads = self.all_leads(&rel, &program).await?;
        let jobs = self.store.jobs_for_relationship(guild, id).await?;
        let pending = |kind: &str, j: &&Job| j.kind == kind && j.state == crate::store::jobs::JobState::Pending;
        let mut planned = Vec::new();
        // A check-in still to come has its did-you-meet pending.
        for j in jobs.iter().filter(|j| pending(kind::DID_YOU_MEET, j)) {
            let checkin = payload_checkin(j)?;
            let Some(c) = self.store.checkin(guild, checkin).await? else {
                continue;
            };
            if c.status != CheckinStatus::Planned || c.scheduled_at <= now {
                continue;
            }
            for lead in &leads {
                let run = c.scheduled_at - Duration::minutes((*lead).into());
                if run >= now {
                    planned.push(self.reminder_job(&rel, c.id, *lead, run));
                }
            }
            let prefix = checkin_prefix(id, c.id);
            for old in jobs
                .iter()
                .filter(|j| pending(kind::REMINDER, j) && j.dedupe_key.starts_with(&prefix))
            {
                let lead = old.payload.get("lead").and_then(serde_json::Value::as_u64);
                if !lead.is_some_and(|l| leads.iter().any(|w| u64::from(*w) == l)) {
                    self.store.drop_pending(&old.dedupe_key).await?;
                }
            }
        }
        self.store.enqueue_many(&planned, now).await?;
        Ok(())
    }

    fn reminder_job(&self, rel: &Relationship, checkin: CheckinId, lead: u32, run: DateTime<Utc>) -> NewJob {
        self.job(
            rel,
            kind::REMINDER,
            format!("{}reminder:{lead}", checkin_prefix(rel.id, checkin)),
            json!({"checkin": checkin.0, "lead": lead}),
            run,
        )
    }

    /// Plans the purge of finished jobs at `at` (one a day: the key names the day).
    pub async fn plan_purge(&self, at: DateTime<Utc>) -> Result<()> {
        let job = NewJob {
            guild: GuildId(0),
            relationship: None,
            kind: kind::PURGE.to_string(),
            dedupe_key: format!("purge:{}", at.format("%Y-%m-%d")),
            payload: json!({}),
            run_at: at,
        };
        self.store.enqueue(&job, self.now()).await?;
        Ok(())
    }

    /// The purge: deletes the jobs that finished before the retention period, in chunks, then
    /// plans the next purge a day later. Returns how many were deleted.
    pub async fn run_purge(&self, job: &Job) -> Result<u64> {
        const CHUNK: u32 = 5_000;
        let now = self.now();
        let before = now - self.rules.job_retention;
        let mut total = 0;
        loop {
            let n = self.store.purge_finished(before, CHUNK).await?;
            total += n;
            if n < u64::from(CHUNK) {
                break;
            }
        }
        self.plan_purge(job.run_at.max(now) + Duration::days(1)).await?;
        tracing::info!(deleted = total, "finished jobs past the retention period deleted");
        Ok(total)
    }

    /// Every active relationship's schedule, after a start (work missed while down is planned).
    /// Page by page: what planning reads (the mentorships, their schedule states, their members'
    /// preferences, their servers' settings) is read for a whole page in a few statements, a
    /// few mentorships are then planned at a time (the check-ins a long stop left unplanned are
    /// written as they come), and the jobs of a whole page are planned in one batch, one commit.
    /// A mentorship whose planning fails is logged and skipped, as alone; a page whose reads
    /// fail is planned one mentorship at a time.
    pub async fn catch_up(&self) -> Result<usize> {
        const PAGE: usize = 1_000;
        const LANES: usize = 4;
        let active = self.store.active_relationships().await?;
        let mut programs: HashMap<GuildId, Vec<u32>> = HashMap::new();
        for page in active.chunks(PAGE) {
            let loaded = match self.read_page(page, &mut programs).await {
                Ok(loaded) => loaded,
                Err(e) => {
                    tracing::warn!(error = %e, mentorships = page.len(), "catch-up could not read a page; one at a time");
                    let mut jobs = Vec::new();
                    for &(guild, id) in page {
                        if let Err(e) = self.sync_schedule_into(guild, id, &mut jobs).await {
                            tracing::warn!(rel = id.0, error = %e, "catch-up of a schedule failed");
                        }
                    }
                    self.plan_page(&jobs, page.len()).await;
                    continue;
                }
            };
            let mut lanes: [Vec<(Relationship, Loaded)>; LANES] = Default::default();
            for (i, item) in loaded.into_iter().enumerate() {
                lanes[i % LANES].push(item);
            }
            let lane = |items: Vec<(Relationship, Loaded)>| async move {
                let mut jobs = Vec::new();
                for (rel, known) in items {
                    let id = rel.id;
                    let mut own = Vec::new();
                    match self.sync_loaded(rel, known, &mut own).await {
                        Ok(()) => jobs.append(&mut own),
                        Err(e) => tracing::warn!(rel = id.0, error = %e, "catch-up of a schedule failed"),
                    }
                }
                jobs
            };
            let [a, b, c, d] = lanes;
            let (a, b, c, d) = tokio::join!(lane(a), lane(b), lane(c), lane(d));
            self.plan_page(&[a, b, c, d].concat(), page.len()).await;
        }
        Ok(active.len())
    }

    async fn plan_page(&self, jobs: &[NewJob], mentorships: usize) {
        if let Err(e) = self.store.enqueue_many(jobs, self.now()).await {
            tracing::warn!(error = %e, mentorships, "catch-up could not plan a page's jobs");
        }
    }

    /// A page's mentorships (those still there, in the page's servers) with what planning each
    /// reads, in the page's order. `programs` keeps each server's lead times across pages.
    async fn read_page(
        &self,
        page: &[(GuildId, RelationshipId)],
        programs: &mut HashMap<GuildId, Vec<u32>>,
    ) -> Result<Vec<(Relationship, Loaded)>> {
        use crate::domain::preferences::{all_leads, NotificationPrefs};
        let ids: Vec<RelationshipId> = page.iter().map(|&(_, id)| id).collect();
        let mut rels: HashMap<RelationshipId, Relationship> = self
            .store
            .relationships_by_ids(&ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut states: HashMap<RelationshipId, ScheduleState> = self
            .store
            .schedule_states(&ids)
            .await?
            .into_iter()
            .map(|s| (s.relationship, s))
            .collect();
        let mut guilds: Vec<GuildId> = rels.values().map(|r| r.guild).collect();
        guilds.sort_unstable();
        guilds.dedup();
        let mut users: Vec<UserId> = rels.values().flat_map(|r| r.joined().map(|m| m.user)).collect();
        users.sort_unstable();
        users.dedup();
        let prefs: HashMap<(GuildId, UserId), NotificationPrefs> = self
            .store
            .notification_prefs_among(&guilds, &users)
            .await?
            .into_iter()
            .map(|p| ((p.guild, p.user), p))
            .collect();
        for &g in &guilds {
            if let std::collections::hash_map::Entry::Vacant(e) = programs.entry(g) {
                e.insert(self.program_settings(g).await?.reminder_leads);
            }
        }
        let mut out = Vec::with_capacity(page.len());
        for &(guild, id) in page {
            let Some(rel) = rels.remove(&id).filter(|r| r.guild == guild) else {
                tracing::warn!(rel = id.0, "catch-up: the mentorship is gone");
                continue;
            };
            let members: Vec<NotificationPrefs> = rel
                .joined()
                .map(|m| {
                    prefs
                        .get(&(guild, m.user))
                        .cloned()
                        .unwrap_or_else(|| NotificationPrefs::default_for(guild, m.user))
                })
                .collect();
            let leads = all_leads(&members, &programs[&guild]);
            let state = states.remove(&id).filter(|s| s.guild == guild);
            out.push((rel, Loaded::Given { state, leads }));
        }
        Ok(out)
    }

    async fn drop_future_plan(&self, rel: &Relationship, now: DateTime<Utc>) -> Result<()> {
        for c in self.store.checkins(rel.guild, rel.id).await? {
            if c.status == CheckinStatus::Planned && c.source != CheckinSource::Manual && c.scheduled_at >= now {
                self.cancel_checkin_jobs(rel.guild, rel.id, c.id).await?;
            }
        }
        for k in [kind::PLAN, kind::MIDPOINT, kind::PLANNED_END] {
            self.store
                .cancel_pending_after(rel.guild, rel.id, Some(k), DateTime::UNIX_EPOCH, now)
                .await?;
        }
        self.store.delete_planned_checkins(rel.guild, rel.id, now).await?;
        Ok(())
    }

    /// Plans every occurrence up to the longest reminder lead plus a week ahead, and always the
    /// next one, so its reminders can go out; then a job to roll forward when the next
    /// unplanned occurrence comes into that window. For a given moment the result is the same
    /// however often it runs.
    async fn plan_ahead(
        &self,
        rel: &Relationship,
        terms: &AgreementTerms,
        mut state: ScheduleState,
        // The program's and the members' own lead times (issue 16, item 13); each reminder
        // reaches those who want it (`reminded_at`).
        leads: &[u32],
        jobs: &mut Vec<NewJob>,
    ) -> Result<()> {
        let now = self.now();
        let max_lead = Duration::minutes(leads.iter().copied().max().unwrap_or(0).into());
        let ahead = max_lead + Duration::days(LOOKAHEAD_DAYS);
        let first = terms.first_meeting();
        let mut after = state
            .planned_until
            .unwrap_or(state.planned_from - Duration::milliseconds(1));
        let mut has_future = state.planned_until.is_some_and(|t| t > now);
        let mut changed = false;
        while let Some(occ) = next_after(first, terms.timezone, &terms.frequency, after, terms.end_date) {
            if has_future && occ.utc > now + ahead {
                jobs.push(self.job(
                    rel,
                    kind::PLAN,
                    key(rel.id, format!("plan:{}", occ.utc.timestamp_millis())),
                    json!({}),
                    (occ.utc - ahead).max(now),
                ));
                break;
            }
            after = occ.utc;
            changed = true;
            // After long downtime, meetings of more than a week ago are not asked about any more;
            // recent ones are planned so their did-you-meet goes out late (their reminders,
            // being past, are not planned).
            if occ.utc < now - Duration::days(LOOKAHEAD_DAYS) {
                continue;
            }
            let checkin = Checkin::planned(rel, occ.utc)?;
            let id = self.store.insert_scheduled_checkin(&checkin).await?;
            jobs.extend(self.checkin_jobs(rel, terms, id, occ.utc, leads, now));
            has_future |= occ.utc > now;
        }
        if changed {
            state.planned_until = Some(after);
            self.store.save_schedule_state(&state).await?;
        }
        if let Some(end) = planned_end(terms) {
            let start = resolve_local(terms.timezone, first).with_timezone(&Utc);
            let midpoint = start + (end - start) / 2;
            if midpoint > state.planned_from {
                jobs.push(self.job(rel, kind::MIDPOINT, key(rel.id, "midpoint"), json!({}), midpoint));
            }
            jobs.push(self.job(rel, kind::PLANNED_END, key(rel.id, "end"), json!({}), end));
        }
        Ok(())
    }

    /// The reminders at each lead still ahead, and the did-you-meet after the meeting.
    fn checkin_jobs(
        &self,
        rel: &Relationship,
        terms: &AgreementTerms,
        checkin: CheckinId,
        at: DateTime<Utc>,
        leads: &[u32],
        now: DateTime<Utc>,
    ) -> Vec<NewJob> {
        let prefix = checkin_prefix(rel.id, checkin);
        let mut jobs = Vec::new();
        for &lead in leads {
            let run = at - Duration::minutes(lead.into());
            if run >= now {
                jobs.push(self.reminder_job(rel, checkin, lead, run));
            }
        }
        jobs.push(self.job(
            rel,
            kind::DID_YOU_MEET,
            format!("{prefix}did_you_meet"),
            json!({"checkin": checkin.0}),
            at + Duration::minutes(terms.meeting_minutes.into()),
        ));
        jobs
    }

    async fn checkin_of_job(&self, job: &Job) -> Result<Option<(Relationship, Checkin)>> {
        let id = payload_checkin(job)?;
        let Some(rel) = self
            .store
            .relationship(job.guild, job.relationship.unwrap_or(RelationshipId(0)))
            .await?
        else {
            return Ok(None);
        };
        let Some(checkin) = self.store.checkin(job.guild, id).await? else {
            return Ok(None);
        };
        if checkin.relationship != rel.id {
            return Ok(None);
        }
        Ok(Some((rel, checkin)))
    }

    /// The reminder of a job, if it is still wanted: the pair is active, the check-in still
    /// planned and still ahead (a reminder for a meeting that has passed is dropped).
    pub async fn due_reminder(&self, job: &Job) -> Result<Option<ReminderDue>> {
        let Some((rel, checkin)) = self.checkin_of_job(job).await? else {
            return Ok(None);
        };
        if rel.state != State::Active || checkin.status != CheckinStatus::Planned || checkin.scheduled_at <= self.now()
        {
            return Ok(None);
        }
        let Some(terms) = rel.agreement_in_force().map(|a| a.terms.clone()) else {
            return Ok(None);
        };
        let agenda = self
            .store
            .goals(rel.guild, rel.id)
            .await?
            .into_iter()
            .filter(|g| g.status == ItemStatus::Open)
            .flat_map(|g| {
                let title = g.title.clone();
                g.steps
                    .into_iter()
                    .filter(|s| s.status == ItemStatus::Open)
                    .map(move |s| format!("{} ({title})", s.text))
            })
            .collect();
        Ok(Some(ReminderDue {
            rel,
            checkin,
            terms,
            agenda,
        }))
    }

    /// The did-you-meet of a job, if nobody answered yet (sent late after downtime too). Plans
    /// its one nudge.
    pub async fn due_did_you_meet(&self, job: &Job) -> Result<Option<CheckinDue>> {
        let Some((rel, checkin)) = self.checkin_of_job(job).await? else {
            return Ok(None);
        };
        if rel.state != State::Active || checkin.status != CheckinStatus::Planned {
            return Ok(None);
        }
        let nudge = self.job(
            &rel,
            kind::NUDGE,
            format!("{}nudge", checkin_prefix(rel.id, checkin.id)),
            json!({"checkin": checkin.id.0}),
            self.now() + Duration::hours(NUDGE_AFTER_HOURS),
        );
        self.store.enqueue(&nudge, self.now()).await?;
        Ok(Some(CheckinDue { rel, checkin }))
    }

    /// The nudge, if the did-you-meet is still unanswered.
    pub async fn due_nudge(&self, job: &Job) -> Result<Option<CheckinDue>> {
        let Some((rel, checkin)) = self.checkin_of_job(job).await? else {
            return Ok(None);
        };
        if rel.state != State::Active || checkin.status != CheckinStatus::Planned {
            return Ok(None);
        }
        Ok(Some(CheckinDue { rel, checkin }))
    }

    /// The relationship of a job, if it is still in one of `states`.
    pub async fn due_relationship(&self, job: &Job, states: &[State]) -> Result<Option<Relationship>> {
        let Some(id) = job.relationship else { return Ok(None) };
        Ok(self
            .store
            .relationship(job.guild, id)
            .await?
            .filter(|r| states.contains(&r.state)))
    }

    /// The planned end: ends an active or paused relationship. `None` when it already ended.
    pub async fn due_planned_end(&self, job: &Job) -> Result<Option<Relationship>> {
        let Some(rel) = self.due_relationship(job, &[State::Active, State::Paused]).await? else {
            return Ok(None);
        };
        let ended = self.end_by_bot(rel.guild, rel.id, EndReason::PlannedEnd).await?;
        Ok(Some(ended))
    }

    /// The members who have not written their retrospective yet.
    pub async fn due_retro_reminder(&self, job: &Job) -> Result<Option<(Relationship, Vec<UserId>)>> {
        let Some(rel) = self.due_relationship(job, &[State::Ended]).await? else {
            return Ok(None);
        };
        let written: Vec<UserId> = self
            .store
            .retrospectives(rel.guild, rel.id)
            .await?
            .into_iter()
            .map(|r| r.author)
            .collect();
        let missing: Vec<UserId> = rel.joined().map(|m| m.user).filter(|u| !written.contains(u)).collect();
        if missing.is_empty() {
            return Ok(None);
        }
        Ok(Some((rel, missing)))
    }

    /// After a retrospective: when every member has written one and agreed to a celebration,
    /// the celebration post is planned (once).
    pub(super) async fn after_retrospective(&self, guild: GuildId, rel: &Relationship) -> Result<()> {
        let retros = self.store.retrospectives(guild, rel.id).await?;
        if self.celebration_wanted(rel, &retros).await? {
            let job = self.job(rel, kind::CELEBRATE, key(rel.id, "celebrate"), json!({}), self.now());
            self.store.enqueue(&job, self.now()).await?;
        }
        Ok(())
    }

    /// Every member agreed to the post, and none muted celebrations (a member who muted them
    /// after saying yes stops the post too; it is planned when they unmute and answer again).
    async fn celebration_wanted(
        &self,
        rel: &Relationship,
        retros: &[crate::domain::retrospective::Retrospective],
    ) -> Result<bool> {
        if !everyone_celebrates(rel, retros) {
            return Ok(false);
        }
        let wanting = self
            .wanting(rel, crate::domain::preferences::Muted::Celebrations)
            .await?;
        Ok(wanting.len() == rel.joined().count())
    }

    pub async fn due_celebration(&self, job: &Job) -> Result<Option<CelebrationDue>> {
        let Some(rel) = self.due_relationship(job, &[State::Ended]).await? else {
            return Ok(None);
        };
        self.celebration_of(rel).await
    }

    /// A mentorship's celebration as posted in the program channel, for anyone in the server to
    /// read in full: only while every member still agrees to it.
    pub async fn celebration(&self, guild: GuildId, rel: RelationshipId) -> Result<Option<CelebrationDue>> {
        let rel = self.load(guild, rel).await?;
        if rel.state != State::Ended {
            return Ok(None);
        }
        self.celebration_of(rel).await
    }

    async fn celebration_of(&self, rel: Relationship) -> Result<Option<CelebrationDue>> {
        let Some(channel) = self.program_settings(rel.guild).await?.channel else {
            return Ok(None);
        };
        let retros = self.store.retrospectives(rel.guild, rel.id).await?;
        if !self.celebration_wanted(&rel, &retros).await? {
            return Ok(None);
        }
        let notes = retros
            .into_iter()
            .filter_map(|r| r.celebrate.filter(|c| !c.trim().is_empty()).map(|c| (r.author, c)))
            .collect();
        Ok(Some(CelebrationDue { rel, channel, notes }))
    }

    /// Plans the invitation's one reminder, halfway to its expiry (issue 16, item 4).
    pub(super) async fn plan_invite_reminder(&self, rel: &Relationship) -> Result<()> {
        let at = rel.created_at + (rel.expires_at - rel.created_at) / 2;
        let job = self.job(
            rel,
            kind::INVITE_REMINDER,
            key(rel.id, "invite_reminder"),
            json!({}),
            at,
        );
        self.store.enqueue(&job, self.now()).await?;
        Ok(())
    }

    /// Plans the reminder for a mentorship that was just accepted, in case it never agrees.
    pub(super) async fn plan_agree_reminder(&self, rel: &Relationship) -> Result<()> {
        let at = self.now() + Duration::days(AGREE_REMINDER_DAYS);
        let job = self.job(rel, kind::AGREE_REMINDER, key(rel.id, "agree_reminder"), json!({}), at);
        self.store.enqueue(&job, self.now()).await?;
        Ok(())
    }

    /// An invitation reminder that is still due: the relationship, with whoever has not answered
    /// yet (a peer group may have formed and still wait for some). Nothing once it is answered,
    /// lapsed or withdrawn.
    pub async fn due_invite_reminder(&self, job: &Job) -> Result<Option<(Relationship, Vec<UserId>)>> {
        let Some(rel) = self
            .due_relationship(job, &[State::Proposed, State::Accepted, State::Agreeing])
            .await?
        else {
            return Ok(None);
        };
        if self.now() >= rel.expires_at {
            return Ok(None);
        }
        let waiting: Vec<UserId> = rel
            .members
            .iter()
            .filter(|m| m.status == crate::domain::relationship::MemberStatus::Invited)
            .map(|m| m.user)
            .collect();
        if waiting.is_empty() {
            return Ok(None);
        }
        Ok(Some((rel, waiting)))
    }

    /// The issue-handling prompt, while the pair is active.
    pub async fn due_issues(&self, job: &Job) -> Result<Option<IssuesDue>> {
        let Some(rel) = self.due_relationship(job, &[State::Active]).await? else {
            return Ok(None);
        };
        let Some((version, terms)) = rel.agreement_in_force().map(|a| (a.version, a.terms.clone())) else {
            return Ok(None);
        };
        let missed = job.payload.get("missed").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        Ok(Some(IssuesDue {
            organisers: self.organisers(rel.guild).await?,
            rel,
            missed,
            version,
            issue_handling: terms.issue_handling,
        }))
    }

    /// After a check-in was reported missed: once the misses in a row reach the agreement's
    /// number (and every such number again), both get the issue-handling prompt.
    pub(super) async fn after_report(&self, rel: &Relationship, checkin: &Checkin) -> Result<()> {
        if checkin.status != CheckinStatus::Missed {
            return Ok(());
        }
        let Some(threshold) = rel
            .agreement_in_force()
            .map(|a| u32::from(a.terms.missed_before_prompt))
        else {
            return Ok(());
        };
        let mut missed = 0u32;
        for c in self.store.checkins(rel.guild, rel.id).await?.iter().rev() {
            match c.status {
                CheckinStatus::Missed => missed += 1,
                CheckinStatus::Held => break,
                _ => {}
            }
        }
        if threshold > 0 && missed > 0 && missed.is_multiple_of(threshold) {
            let job = self.job(
                rel,
                kind::ISSUES,
                key(rel.id, format!("issues:c{}", checkin.id.0)),
                json!({"missed": missed}),
                self.now(),
            );
            self.store.enqueue(&job, self.now()).await?;
        }
        Ok(())
    }

    /// Cancels what is still pending about one check-in (its reminders, questions, nudge).
    pub(super) async fn cancel_checkin_jobs(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    ) -> Result<()> {
        self.store
            .cancel_pending_with_key_prefix(guild, rel, &checkin_prefix(rel, checkin), self.now())
            .await?;
        Ok(())
    }

    /// A planned check-in of a member's relationship, checked: they are a member, it is still
    /// planned (not yet reported).
    async fn planned_checkin(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
        actor: UserId,
    ) -> Result<(Relationship, Checkin)> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        relationship.require_joined(actor)?;
        let found = self
            .store
            .checkin(guild, checkin)
            .await?
            .filter(|c| c.relationship == rel)
            .ok_or(Error::NotFound("check-in"))?;
        Ok((relationship, found))
    }

    /// A member answers the did-you-meet. "We met" from a second member of a check-in already
    /// recorded as held is fine (they write their own reflection).
    pub async fn answer_meeting(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
        actor: UserId,
        answer: MeetingAnswer,
    ) -> Result<(Relationship, Checkin)> {
        let (relationship, mut c) = self.planned_checkin(guild, rel, checkin, actor).await?;
        let status = match answer {
            MeetingAnswer::Met => CheckinStatus::Held,
            MeetingAnswer::NotThisTime => CheckinStatus::Missed,
        };
        if c.status == status {
            return Ok((relationship, c));
        }
        c.report(&relationship, actor, status, None, self.now())?;
        self.store.update_checkin(&c).await?;
        self.cancel_checkin_jobs(guild, rel, c.id).await?;
        self.after_report(&relationship, &c).await?;
        Ok((relationship, c))
    }

    /// A member skips a planned check-in: its reminders and prompts are cancelled.
    pub async fn skip_checkin(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
        actor: UserId,
    ) -> Result<(Relationship, Checkin)> {
        let (relationship, mut c) = self.planned_checkin(guild, rel, checkin, actor).await?;
        c.report(&relationship, actor, CheckinStatus::Skipped, None, self.now())?;
        self.store.update_checkin(&c).await?;
        self.cancel_checkin_jobs(guild, rel, c.id).await?;
        Ok((relationship, c))
    }

    /// A member moves one check-in to a new local date and time (in the agreement's zone); only
    /// that occurrence moves. The new time must be ahead.
    pub async fn reschedule_checkin(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
        actor: UserId,
        date: &str,
        time: &str,
    ) -> Result<Moved> {
        let (relationship, mut old) = self.planned_checkin(guild, rel, checkin, actor).await?;
        let terms = relationship
            .agreement_in_force()
            .map(|a| a.terms.clone())
            .ok_or(Error::NotFound("agreement in force"))?;
        let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
            ValidationError::new(
                "date",
                format!("\"{}\" is not a date; write it as YYYY-MM-DD", date.trim()),
            )
        })?;
        let t = NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| {
            ValidationError::new(
                "time",
                format!("\"{}\" is not a time; write it as HH:MM, e.g. 18:30", time.trim()),
            )
        })?;
        let now = self.now();
        // The form asks for the time in the person's own zone (issue 16, item 10).
        let zone = self.own_zone(guild, actor, terms.timezone).await?;
        let at = resolve_local(zone, d.and_time(t)).with_timezone(&Utc);
        if at <= now {
            return Err(ValidationError::new(
                "date",
                format!(
                    "{} {} ({}) has already passed; choose a time ahead",
                    d,
                    t.format("%H:%M"),
                    zone
                ),
            )
            .into());
        }
        old.report(&relationship, actor, CheckinStatus::Rescheduled, None, now)?;
        let mut new = Checkin::planned_from(&relationship, at, CheckinSource::Moved)?;
        self.store.update_checkin(&old).await?;
        new.id = self.store.insert_checkin(&new).await?;
        self.cancel_checkin_jobs(guild, rel, old.id).await?;
        let program = self.program_settings(guild).await?.reminder_leads;
        let leads = self.all_leads(&relationship, &program).await?;
        let jobs = self.checkin_jobs(&relationship, &terms, new.id, at, &leads, now);
        self.store.enqueue_many(&jobs, now).await?;
        Ok(Moved {
            rel: relationship,
            old,
            new,
        })
    }

    /// A member proposes a new frequency (from the issue-handling prompt): a new version of the
    /// agreement with only that changed, which everyone confirms as usual.
    pub async fn propose_frequency(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        frequency: &str,
    ) -> Result<(Relationship, u32)> {
        let mut relationship = self.relationship_for(guild, rel, actor).await?;
        relationship.require_agreement_writable(actor)?;
        self.check_agreement_versions(&relationship).await?;
        let mut terms = relationship
            .latest_agreement()
            .map(|a| a.terms.clone())
            .ok_or(Error::NotFound("agreement"))?;
        terms.frequency = frequency
            .parse::<Frequency>()
            .map_err(|e| ValidationError::new("frequency", e.to_string()))?;
        // The new rhythm starts from today: the old start date may be long past.
        let today = self.now().with_timezone(&terms.timezone).date_naive();
        if terms.start_date < today {
            terms.start_date = today;
        }
        let version = relationship.propose_agreement(actor, terms, self.now())?;
        self.store.save_relationship(&mut relationship, None).await?;
        Ok((relationship, version))
    }
}
