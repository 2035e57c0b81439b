//! The schedule's jobs, sent: reminders, did-you-meet, nudges, the issue-handling prompt, the
//! midpoint review, the planned end, the retrospective reminder and the celebration.
//!
//! The engine says whether a job is still wanted and what it is about; this turns that into
//! messages. Every message carries a nonce from its job and recipient with `enforce_nonce`, so a
//! job run twice (its holder died after sending, before acknowledging) posts nothing twice.
use crate::domain::preferences::Muted;
use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton, Nonce};
use tracing::warn;

use super::bot::Bot;
use super::guide;
use super::ids::{Action, CustomId};
use super::limits::{self, Pings};
use super::marker;
use super::notify::SentMessage;
use super::pages::{self, Listing};
use super::render::{mention, when};
use crate::domain::guide::Transition;
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::domain::relationship::{Relationship, State};
use crate::engine::organisers::{Digest, Organisers};
use crate::engine::schedule::{kind, CelebrationDue, CheckinDue, IssuesDue, ReminderDue};
use crate::engine::{Error, ThreadMemberDue};
use crate::jobs::{Job, JobHandler, Outcome};

/// Attempts at adding a member to a thread before the organisers hear of it (with the job's
/// backoff, a few minutes).
pub const THREAD_MEMBER_ATTEMPTS: u32 = 4;

pub struct ScheduleJobs {
    pub bot: Arc<Bot>,
}

fn button(action: Action, numbers: &[u64], label: &str, style: ButtonStyle) -> CreateButton {
    CreateButton::new(CustomId::new(action, numbers).encode())
        .label(label)
        .style(style)
}

fn relative(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:R>", t.timestamp())
}

/// The halfway reminder of an invitation (issue 16, item 4). The purpose was in the invitation
/// itself; the reminder does not paste it again.
pub fn invite_reminder_text(rel: &Relationship) -> String {
    let who = if rel.origin == crate::domain::relationship::Origin::ProgramMatch {
        "the program's organisers".to_string()
    } else {
        mention(rel.proposer)
    };
    format!(
        "A reminder: the invitation from {who} to **{}** mentorship #{} is still waiting for your answer. It \
         expires {}. Accept or decline it below (or with /mentorship answer mentorship:{}); /mentorship list shows \
         it.",
        rel.kind,
        rel.number,
        when(rel.expires_at),
        rel.number
    )
}

/// The reminder before a check-in: when, how, the agenda, and Reschedule / Skip. The purpose was
/// in the invitation and the thread's welcome; it is not pasted in again (issue 16, item 13).
pub fn reminder_message(due: &ReminderDue) -> (String, Vec<CreateActionRow>) {
    let t = &due.terms;
    let rel = &due.rel;
    let mut text = format!(
        "**Reminder: check-in of mentorship #{}** {}.\n**When:** {} for {} minutes\n**How:** {}{}",
        rel.number,
        relative(due.checkin.scheduled_at),
        when(due.checkin.scheduled_at),
        t.meeting_minutes,
        t.method,
        t.place.as_deref().map(|p| format!(", {p}")).unwrap_or_default()
    );
    // The agenda gets the rest, cut with "and N more". An empty plan starts with a goal: a step
    // needs one (issue 16, item 11).
    if due.agenda.is_empty() {
        text += &format!(
            "\n**Agenda:** no open steps in your action plan yet. Set a goal with /mentorship plan add mentorship:{}, \
             then its steps with /mentorship plan step.",
            rel.number
        );
    } else {
        text += "\n**Agenda** (open steps of your action plan):";
        let steps: Vec<String> = due.agenda.iter().map(|s| format!("- {s}")).collect();
        let more = format!(" (the whole plan: /mentorship plan list mentorship:{})", rel.number);
        let room = limits::DM_MAX.saturating_sub(limits::len(&text) + 1 + limits::len(&more));
        let (agenda, cut) = limits::and_more(&steps, "\n", room);
        text += "\n";
        text += &agenda;
        if cut {
            text += &more;
        }
    }
    let n = [rel.guild.0, rel.id.0 as u64, due.checkin.id.0 as u64];
    let row = CreateActionRow::Buttons(vec![
        button(Action::Reschedule, &n, "Reschedule", ButtonStyle::Primary),
        button(Action::Skip, &n, "Skip this one", ButtonStyle::Secondary),
    ]);
    (text, vec![row])
}

fn meeting_buttons(due: &CheckinDue) -> Vec<CreateActionRow> {
    let n = [due.rel.guild.0, due.rel.id.0 as u64, due.checkin.id.0 as u64];
    vec![CreateActionRow::Buttons(vec![
        button(Action::Met, &n, "We met", ButtonStyle::Success),
        button(Action::Reschedule, &n, "Rescheduled", ButtonStyle::Primary),
        button(Action::NotMet, &n, "Not this time", ButtonStyle::Secondary),
    ])]
}

/// `tips`: the first check-in's (see `guide::tips`), or nothing for the others.
pub fn did_you_meet_text(due: &CheckinDue, tips: &str) -> String {
    let text = format!(
        "**Did you meet?** Mentorship #{} had a check-in planned {}. Tell the bot how it went; \"We met\" opens a \
         short reflection for your private journal.{tips}",
        due.rel.number,
        when(due.checkin.scheduled_at)
    );
    limits::fit(&text, limits::DM_MAX)
}

/// What sending one of a job's messages to one recipient came to.
enum Step {
    /// Delivered now, or recorded as delivered by an earlier attempt.
    Reached,
    /// Neither a DM nor a thread could take it.
    Unreached,
    /// Stop the job here and retry it later: the lease was lost (another worker may hold the job
    /// now), or the database could not be asked or told.
    Stop(String),
}

impl ScheduleJobs {
    /// What earlier attempts of the job delivered, by recipient.
    async fn delivered(&self, job: &Job) -> Result<HashSet<String>, Outcome> {
        match self.bot.engine.store().deliveries(&job.dedupe_key).await {
            Ok(d) => Ok(d.into_iter().map(|d| d.recipient).collect()),
            Err(e) => Err(Outcome::Retry {
                error: format!("reading the job's deliveries: {e}"),
            }),
        }
    }

    /// Sends one of the job's messages to `recipient` once: not at all when an earlier attempt
    /// recorded it, and only while this worker still holds the job. What was sent is recorded at
    /// once, so a retry sends only to those not reached yet.
    #[allow(clippy::too_many_arguments)]
    async fn deliver_once<F, Fut>(
        &self,
        job: &Job,
        delivered: &HashSet<String>,
        recipient: String,
        look_in: Vec<u64>,
        marker: &str,
        content: &str,
        send: F,
    ) -> Step
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<SentMessage>>,
    {
        if delivered.contains(&recipient) {
            return Step::Reached;
        }
        let store = self.bot.engine.store();
        if let Some(owner) = &job.lease_owner {
            match store.holds(job.id, owner).await {
                Ok(true) => {}
                Ok(false) => return Step::Stop("the lease was lost before sending; not sending".into()),
                Err(e) => return Step::Stop(format!("checking the lease: {e}")),
            }
        }
        // Claimed before and not recorded: an earlier attempt may have sent it and died before
        // recording it. Its nonce may be forgotten by now, so look for the message itself.
        if job.attempts > 1 {
            match self.read_back(&look_in, marker, content).await {
                Ok(Some(found)) => {
                    tracing::info!(%recipient, message = found.message, "found the message an earlier attempt sent");
                    return match store
                        .record_delivery(
                            &job.dedupe_key,
                            &recipient,
                            found.channel,
                            found.message,
                            self.bot.engine.now(),
                        )
                        .await
                    {
                        Ok(_) => Step::Reached,
                        Err(e) => Step::Stop(format!("recording a delivery: {e}")),
                    };
                }
                Ok(None) => {}
                Err(error) => return Step::Stop(error),
            }
        }
        let Some(sent) = send().await else {
            return Step::Unreached;
        };
        match store
            .record_delivery(
                &job.dedupe_key,
                &recipient,
                sent.channel,
                sent.message,
                self.bot.engine.now(),
            )
            .await
        {
            Ok(_) => Step::Reached,
            // Sent but not recorded: the retry's nonce (or its read-back) keeps it from coming twice.
            Err(e) => Step::Stop(format!("recording a delivery: {e}")),
        }
    }

    /// Looks for the message with `marker` among the recent messages of each channel, else for
    /// `content` after the newest message any job recorded there (so an earlier job's identical
    /// text is not taken for this one).
    async fn read_back(&self, channels: &[u64], marker: &str, content: &str) -> Result<Option<SentMessage>, String> {
        for &channel in channels {
            let after = self
                .bot
                .engine
                .store()
                .last_delivered_in(channel)
                .await
                .map_err(|e| format!("reading the deliveries: {e}"))?;
            match self.bot.notifier.read_back(channel, after, marker, content).await {
                Ok(Some(found)) => return Ok(Some(found)),
                Ok(None) => {}
                Err(e) => return Err(format!("reading the channel back: {e}")),
            }
        }
        Ok(None)
    }

    /// Where a member's message may be (on a retry): their DM channel and the relationship's thread.
    async fn member_channels(&self, job: &Job, rel: &Relationship, user: UserId) -> Vec<u64> {
        if job.attempts <= 1 {
            return Vec::new();
        }
        let mut channels = Vec::new();
        channels.extend(self.bot.notifier.known_dm_channel(user).await);
        if let Ok(Some(thread)) = self.bot.engine.thread_of(rel.guild, rel.id).await {
            channels.push(thread);
        }
        channels
    }

    /// Sends one message to each joined member (or to exactly the people `only` names, say
    /// invitees), each with its own nonce, each recorded once delivered. Retry when any could not
    /// be delivered; the retry sends only to the others.
    async fn to_members(
        &self,
        job: &Job,
        rel: &Relationship,
        only: Option<&[UserId]>,
        text: &str,
        components: Vec<CreateActionRow>,
    ) -> Outcome {
        let delivered = match self.delivered(job).await {
            Ok(d) => d,
            Err(outcome) => return outcome,
        };
        let mut failed = 0;
        let people: Vec<UserId> = match only {
            Some(o) => o.to_vec(),
            None => rel.joined().map(|m| m.user).collect(),
        };
        for user in people {
            // The nonce is the marker too: stable across attempts, one per job and recipient.
            let marker = job.nonce_for(user.0);
            let message = if components.is_empty() {
                limits::dm(marker::text_with(text, &marker, limits::DM_MAX))
            } else {
                limits::dm(text).components(marker::rows_with(&components, &marker))
            }
            .nonce(Nonce::String(marker.clone()))
            .enforce_nonce(true);
            let look_in = self.member_channels(job, rel, user).await;
            let content = super::notify::content_of(&message);
            let step = self
                .deliver_once(
                    job,
                    &delivered,
                    format!("u{}", user.0),
                    look_in,
                    &marker,
                    &content,
                    || async {
                        self.bot
                            .notifier
                            .dm_sent(rel.guild, Some(rel.id), user, message)
                            .await
                            .1
                    },
                )
                .await;
            match step {
                Step::Reached => {}
                Step::Unreached => failed += 1,
                Step::Stop(error) => return Outcome::Retry { error },
            }
        }
        if failed > 0 {
            Outcome::Retry {
                error: format!("{failed} message(s) could not be delivered"),
            }
        } else {
            Outcome::Done
        }
    }

    /// [`Self::to_members`] with a phase's tips (when `transition` names one) for those who did
    /// not mute them, and without for those who did: `text` builds each one's message from the
    /// tips. The people in both groups keep their own markers, so a retry sends only to the others.
    async fn to_members_tipped(
        &self,
        job: &Job,
        rel: &Relationship,
        only: Option<&[UserId]>,
        transition: Option<Transition>,
        components: Vec<CreateActionRow>,
        text: impl Fn(&str) -> String,
    ) -> Outcome {
        let Some(transition) = transition else {
            return self.to_members(job, rel, only, &text(""), components).await;
        };
        let engine = &self.bot.engine;
        let people: Vec<UserId> = match only {
            Some(o) => o.to_vec(),
            None => rel.joined().map(|m| m.user).collect(),
        };
        let wanting = match engine.wanting(rel, Muted::Tips).await {
            Ok(w) => w,
            Err(e) => return Outcome::Retry { error: e.to_string() },
        };
        let (with, without): (Vec<UserId>, Vec<UserId>) = people.into_iter().partition(|u| wanting.contains(u));
        let mut outcome = Outcome::Done;
        if !with.is_empty() {
            let tips = guide::tips(engine, rel.guild, transition).await;
            outcome = self
                .to_members(job, rel, Some(&with), &text(&tips), components.clone())
                .await;
        }
        if !without.is_empty() {
            let second = self.to_members(job, rel, Some(&without), &text(""), components).await;
            if matches!(outcome, Outcome::Done) {
                outcome = second;
            }
        }
        outcome
    }

    /// Organisers' information, where only organisers read it: the coordinator channel (pinging
    /// the coordinator role there), else a DM to each coordinator, else to the server's owner.
    /// Never the program channel. `part` keeps the channel post's nonce apart from the job's other messages.
    async fn to_organisers(
        &self,
        job: &Job,
        guild: GuildId,
        to: &Organisers,
        text: &str,
        part: Option<u64>,
    ) -> Outcome {
        let nonce =
            |message: serenity::all::CreateMessage, n: String| message.nonce(Nonce::String(n)).enforce_nonce(true);
        let delivered = match self.delivered(job).await {
            Ok(d) => d,
            Err(outcome) => return outcome,
        };
        let people = match to {
            Organisers::Channel { channel, role } => {
                let n = part.map_or_else(|| job.nonce(), |p| job.nonce_for(p));
                // There it is for the coordinators: their role is pinged, nobody else.
                let (text, pings) = match role {
                    Some(role) if !text.contains(&format!("<@&{role}>")) => {
                        (format!("<@&{role}> {text}"), Pings::role(*role))
                    }
                    Some(role) => (text.to_string(), Pings::role(*role)),
                    None => (text.to_string(), Pings::nobody()),
                };
                let text = marker::text_with(&text, &n, limits::MESSAGE_MAX);
                let message = nonce(limits::post(text, &pings), n.clone());
                let content = super::notify::content_of(&message);
                let mut error = None;
                let step = self
                    .deliver_once(
                        job,
                        &delivered,
                        format!("c{channel}.{part:?}"),
                        vec![*channel],
                        &n,
                        &content,
                        || async {
                            match self.bot.notifier.post_sent(*channel, message).await {
                                Ok(sent) => Some(sent),
                                Err(e) => {
                                    error = Some(e.to_string());
                                    None
                                }
                            }
                        },
                    )
                    .await;
                return match step {
                    Step::Reached => Outcome::Done,
                    Step::Unreached => Outcome::Retry {
                        error: error.unwrap_or_else(|| "posting for the organisers failed".into()),
                    },
                    Step::Stop(error) => Outcome::Retry { error },
                };
            }
            Organisers::People(people) => people.clone(),
            Organisers::Owner => match self
                .bot
                .notifier
                .paced_other(
                    &format!("/guilds/{}", guild.0),
                    self.bot.notifier.http().get_guild(serenity::all::GuildId::new(guild.0)),
                )
                .await
            {
                Ok(g) => vec![UserId(g.owner_id.get())],
                Err(e) => return Outcome::Retry { error: e.to_string() },
            },
        };
        let mut failed = 0;
        for p in people {
            // Not the nonce of a member's own message of the same job (a coordinator may be one).
            let marker = job.nonce_for(!p.0);
            let message = nonce(
                limits::dm(marker::text_with(text, &marker, limits::DM_MAX)),
                marker.clone(),
            );
            let look_in = if job.attempts > 1 {
                self.bot.notifier.known_dm_channel(p).await.into_iter().collect()
            } else {
                Vec::new()
            };
            let content = super::notify::content_of(&message);
            let step = self
                .deliver_once(
                    job,
                    &delivered,
                    format!("o{}", p.0),
                    look_in,
                    &marker,
                    &content,
                    || async {
                        // Always tried: an organiser whose DMs were closed once hears again once
                        // they open them (and is marked reachable), as nudges and notices do.
                        self.bot.notifier.dm_always_sent(guild, None, p, message).await.1
                    },
                )
                .await;
            match step {
                Step::Reached => {}
                Step::Unreached => failed += 1,
                Step::Stop(error) => return Outcome::Retry { error },
            }
        }
        if failed > 0 {
            Outcome::Retry {
                error: format!("{failed} organiser(s) could not be reached"),
            }
        } else {
            Outcome::Done
        }
    }

    /// The DM that tells an imported person, with the buttons of `/mentor suggest`'s consent.
    async fn import_welcome(&self, job: &Job, w: &crate::engine::import::Welcome) -> Outcome {
        let delivered = match self.delivered(job).await {
            Ok(d) => d,
            Err(outcome) => return outcome,
        };
        // The nonce is the marker too, as for the members' messages.
        let marker = job.nonce_for(w.user.0);
        let rows = [super::commands::import::suggest_buttons(w)];
        let message = limits::dm(super::commands::import::welcome_text(w))
            .components(marker::rows_with(&rows, &marker))
            .nonce(Nonce::String(marker.clone()))
            .enforce_nonce(true);
        let look_in = if job.attempts > 1 {
            self.bot.notifier.known_dm_channel(w.user).await.into_iter().collect()
        } else {
            Vec::new()
        };
        let content = super::notify::content_of(&message);
        let step = self
            .deliver_once(
                job,
                &delivered,
                format!("u{}", w.user.0),
                look_in,
                &marker,
                &content,
                || async { self.bot.notifier.dm_sent(w.guild, None, w.user, message).await.1 },
            )
            .await;
        match step {
            Step::Reached => Outcome::Done,
            Step::Unreached => Outcome::Retry {
                error: "the welcome of an imported person could not be delivered".into(),
            },
            Step::Stop(error) => Outcome::Retry { error },
        }
    }

    /// Adds a member to their relationship's thread after an earlier attempt failed. A refusal
    /// that will not go away (or a failure that keeps coming back) is reported to the organisers
    /// once, and the job ends.
    async fn thread_member(&self, job: &Job, due: &ThreadMemberDue) -> Outcome {
        let error = match self.bot.add_thread_member(due.thread, due.user, false).await {
            Ok(()) => return Outcome::Done,
            Err(e) => e,
        };
        let lasting = !super::notify::is_temporary(&error) || job.attempts >= THREAD_MEMBER_ATTEMPTS;
        if !lasting {
            return Outcome::Retry {
                error: format!("adding a member to the thread: {error}"),
            };
        }
        let text = format!(
            "Mentorship #{}: the bot could not add {} to the members' private thread <#{}> ({}). Please add them by \
             hand, or give the bot the Manage Threads permission in the program channel.",
            due.rel.number,
            mention(due.user),
            due.thread,
            limits::fit(&error.to_string(), 200)
        );
        match self
            .to_organisers(job, due.rel.guild, &due.organisers, &text, Some(u64::MAX))
            .await
        {
            Outcome::Done => Outcome::Failed {
                error: format!("adding a member to the thread (the organisers were told): {error}"),
            },
            Outcome::Retry { error: e } | Outcome::Failed { error: e } => Outcome::Retry {
                error: format!("adding a member to the thread, then telling the organisers: {e}"),
            },
        }
    }

    async fn run(&self, job: &Job) -> Result<Outcome, Error> {
        let engine = &self.bot.engine;
        Ok(match job.kind.as_str() {
            kind::PLAN => {
                if let Some(rel) = job.relationship {
                    engine.sync_schedule(job.guild, rel).await?;
                }
                Outcome::Done
            }
            kind::SYNC => {
                engine.run_sync(job).await?;
                Outcome::Done
            }
            kind::PURGE => {
                engine.run_purge(job).await?;
                Outcome::Done
            }
            kind::REMINDER => match engine.due_reminder(job).await? {
                Some(due) => {
                    // Only those who want a reminder this long before (issue 16, item 13).
                    let lead = job.payload.get("lead").and_then(|l| l.as_u64()).unwrap_or_default();
                    let only = engine.reminded_at(&due.rel, lead as u32).await?;
                    let (text, rows) = reminder_message(&due);
                    self.to_members(job, &due.rel, Some(&only), &text, rows).await
                }
                None => Outcome::Done,
            },
            kind::DID_YOU_MEET => match engine.due_did_you_meet(job).await? {
                Some(due) => {
                    let first = engine
                        .is_first_checkin(due.rel.guild, due.rel.id, due.checkin.id)
                        .await?;
                    let tips = first.then_some(Transition::FirstCheckin);
                    self.to_members_tipped(job, &due.rel, None, tips, meeting_buttons(&due), |tips| {
                        did_you_meet_text(&due, tips)
                    })
                    .await
                }
                None => Outcome::Done,
            },
            kind::NUDGE => match engine.due_nudge(job).await? {
                Some(due) => {
                    let text = format!(
                        "A gentle nudge: nobody has said yet whether the check-in of mentorship #{} {} took place. \
                         A quick answer keeps your schedule and journal right.",
                        due.rel.number,
                        when(due.checkin.scheduled_at)
                    );
                    let only = engine.wanting(&due.rel, Muted::Nudges).await?;
                    self.to_members(job, &due.rel, Some(&only), &text, meeting_buttons(&due))
                        .await
                }
                None => Outcome::Done,
            },
            kind::ISSUES => match engine.due_issues(job).await? {
                Some(due) => {
                    let (text, shortened) = issues_text(&due);
                    let n = [due.rel.guild.0, due.rel.id.0 as u64];
                    let mut buttons = vec![
                        button(Action::ChangeFrequency, &n, "Change frequency", ButtonStyle::Primary),
                        button(Action::PauseRel, &n, "Pause", ButtonStyle::Secondary),
                        button(Action::EndRel, &n, "End", ButtonStyle::Danger),
                    ];
                    if shortened {
                        buttons.push(pages::show_in_full_button(
                            Listing::Agreement,
                            due.rel.guild,
                            &[due.rel.id.0 as u64, u64::from(due.version)],
                        ));
                    }
                    let row = CreateActionRow::Buttons(buttons);
                    let outcome = self.to_members(job, &due.rel, None, &text, vec![row]).await;
                    // Counts only: the organisers hear that a pair needs help, not why.
                    let note = format!(
                        "Mentorship #{} has missed {} check-ins in a row; its members got their issue-handling prompt.",
                        due.rel.number, due.missed
                    );
                    if let Outcome::Retry { error } = self
                        .to_organisers(job, due.rel.guild, &due.organisers, &note, Some(0))
                        .await
                    {
                        warn!(error, "could not tell the organisers");
                    }
                    outcome
                }
                None => Outcome::Done,
            },
            kind::MIDPOINT => match engine.due_relationship(job, &[State::Active]).await? {
                Some(rel) => {
                    let text = |tips: &str| {
                        let template = format!(
                            "**Halfway through mentorship #{}**. A good moment to look at your goals and your \
                             agreement together: are the goals still the right ones, is the rhythm working? \
                             `/mentorship plan list mentorship:{}` shows the plan; `/mentorship agreement` changes \
                             the agreement.\n\n{}{tips}",
                            rel.number,
                            rel.number,
                            guide::FIT_QUESTION,
                        );
                        limits::fit(&template, limits::DM_MAX)
                    };
                    // Each member answers in their own DM; the engine keeps the answer for them alone.
                    let rows = vec![guide::fit_buttons(rel.guild, rel.id)];
                    let only = engine.wanting(&rel, Muted::Midpoint).await?;
                    self.to_members_tipped(job, &rel, Some(&only), Some(Transition::Midpoint), rows, text)
                        .await
                }
                None => Outcome::Done,
            },
            kind::PLANNED_END => {
                // Ending is idempotent through the state check; the prompt goes out with nonces.
                let rel = match engine.due_planned_end(job).await? {
                    Some(rel) => rel,
                    None => match engine.due_relationship(job, &[State::Ended]).await? {
                        // Ended by this job in an earlier attempt that did not finish sending.
                        Some(rel) if rel.ended_by.is_none() => rel,
                        _ => return Ok(Outcome::Done),
                    },
                };
                let rows = super::bot::ended_message(&rel, "").1;
                self.to_members_tipped(job, &rel, None, Some(Transition::Ended), rows, |tips| {
                    super::bot::ended_message(&rel, tips).0
                })
                .await
            }
            kind::INVITE_REMINDER => match engine.due_invite_reminder(job).await? {
                Some((rel, waiting)) => {
                    let text = invite_reminder_text(&rel);
                    let rows = vec![super::bot::Bot::answer_buttons(rel.guild, rel.id)];
                    self.to_members(job, &rel, Some(&waiting), &text, rows).await
                }
                None => Outcome::Done,
            },
            kind::AGREE_REMINDER => match engine
                .due_relationship(job, &[State::Accepted, State::Agreeing])
                .await?
            {
                Some(rel) => {
                    let text = format!(
                        "Mentorship #{} was accepted a week ago and has no agreement in force yet. Write it with \
                         /mentorship agreement mentorship:{}, or confirm the version waiting in your DMs with its \
                         Confirm button; /mentorship list shows who still has to.",
                        rel.number, rel.number
                    );
                    self.to_members(job, &rel, None, &text, Vec::new()).await
                }
                None => Outcome::Done,
            },
            kind::RETRO_REMINDER => match engine.due_retro_reminder(job).await? {
                Some((rel, missing)) => {
                    let template = format!(
                        "A reminder: your retrospective on mentorship #{} is still open. A few lines on what you \
                         learned help you and your next mentorship.",
                        rel.number
                    );
                    let text = limits::fit(&template, limits::DM_MAX);
                    let row = CreateActionRow::Buttons(vec![button(
                        Action::Retro,
                        &[rel.guild.0, rel.id.0 as u64],
                        "Write my retrospective",
                        ButtonStyle::Primary,
                    )]);
                    // Only those who did not mute retrospective reminders (issue 16, item 13).
                    let wanting = engine.wanting(&rel, Muted::RetroReminders).await?;
                    let only: Vec<UserId> = missing.into_iter().filter(|u| wanting.contains(u)).collect();
                    self.to_members(job, &rel, Some(&only), &text, vec![row]).await
                }
                None => Outcome::Done,
            },
            kind::CELEBRATE => match engine.due_celebration(job).await? {
                Some(due) => {
                    let (text, shortened) = celebration_text(&due);
                    let marker = job.nonce();
                    // Its marker rides on the button; without one, on a last line where it fits
                    // (else the text, written once by the members, is recognised as it is).
                    let text = match marker::text_if_fits(&text, &marker, limits::MESSAGE_MAX) {
                        Some(with_line) if !shortened => with_line,
                        _ => text,
                    };
                    // Public: the members are named, nobody is pinged, whatever the notes say.
                    let mut message = limits::post(text, &Pings::nobody())
                        .nonce(Nonce::String(marker.clone()))
                        .enforce_nonce(true);
                    if shortened {
                        let button =
                            pages::show_in_full_button(Listing::Celebration, due.rel.guild, &[due.rel.id.0 as u64]);
                        message =
                            message.components(marker::rows_with(&[CreateActionRow::Buttons(vec![button])], &marker));
                    }
                    let delivered = match self.delivered(job).await {
                        Ok(d) => d,
                        Err(outcome) => return Ok(outcome),
                    };
                    let content = super::notify::content_of(&message);
                    let mut error = None;
                    let step = self
                        .deliver_once(
                            job,
                            &delivered,
                            format!("c{}", due.channel),
                            vec![due.channel],
                            &marker,
                            &content,
                            || async {
                                match self.bot.notifier.post_sent(due.channel, message).await {
                                    Ok(sent) => Some(sent),
                                    Err(e) => {
                                        error = Some(e.to_string());
                                        None
                                    }
                                }
                            },
                        )
                        .await;
                    match step {
                        Step::Reached => Outcome::Done,
                        Step::Unreached => Outcome::Retry {
                            error: error.unwrap_or_else(|| "posting the celebration failed".into()),
                        },
                        Step::Stop(error) => Outcome::Retry { error },
                    }
                }
                None => Outcome::Done,
            },
            kind::THREAD_MEMBER => match engine.due_thread_member(job).await? {
                Some(due) => self.thread_member(job, &due).await,
                None => Outcome::Done,
            },
            crate::engine::organisers::DIGEST => match engine.due_digest(job).await? {
                Some(digest) => {
                    let text = digest_text(&digest);
                    self.to_organisers(job, digest.guild, &digest.to, &text, None).await
                }
                None => Outcome::Done,
            },
            crate::engine::invitation_status::PROGRAM_ANSWER => match engine.due_program_answer(job).await? {
                Some(note) => {
                    let text = super::commands::invitations::answer_note(&note.line);
                    self.to_organisers(job, note.guild, &note.to, &text, None).await
                }
                None => Outcome::Done,
            },
            crate::engine::import::IMPORT_WELCOME => match engine.due_import_welcome(job).await? {
                Some(w) => self.import_welcome(job, &w).await,
                None => Outcome::Done,
            },
            other => Outcome::Failed {
                error: format!("unknown job kind {other}"),
            },
        })
    }
}

#[async_trait]
impl JobHandler for ScheduleJobs {
    async fn handle(&self, job: &Job) -> Outcome {
        match self.run(job).await {
            Ok(outcome) => outcome,
            // Someone changed the same thing at the same moment: the job is still wanted.
            Err(Error::Conflict) => Outcome::Retry {
                error: Error::Conflict.to_string(),
            },
            Err(e) if e.is_user_error() => {
                // The data the job was about is gone or changed shape: nothing to send.
                warn!(job = %job.id, error = %e, "job no longer applies");
                Outcome::Done
            }
            Err(e) => Outcome::Retry { error: e.to_string() },
        }
    }
}

/// Tells the other members that one check-in changed.
pub async fn tell_others(bot: &Bot, guild: GuildId, rel: &Relationship, actor: UserId, text: &str) {
    for m in rel.joined().filter(|m| m.user != actor) {
        bot.notifier.dm(guild, Some(rel.id), m.user, limits::dm(text)).await;
    }
}

/// The issue-handling prompt: what the members agreed, quoted, shortened to fit with a pointer
/// to "Show in full". The flag says whether it was shortened.
pub fn issues_text(due: &IssuesDue) -> (String, bool) {
    let head = format!(
        "**Mentorship #{}: {} check-ins in a row did not happen.** That is normal now and then; here is what you \
         agreed to do when issues come up:\n",
        due.rel.number, due.missed
    );
    let tail = "\n\nYou can change how often you meet, pause for a while, or end the mentorship.";
    let pointer = " (in full: **Show in full**)";
    let whole = quote(&due.issue_handling);
    let room = limits::DM_MAX.saturating_sub(limits::len(&head) + limits::len(tail));
    let mut shown = whole.clone();
    // Quoting adds two characters a line: cut the text, quote it, and cut more until it fits.
    let mut budget = room;
    while limits::len(&shown) > room && budget > 0 {
        budget = budget.saturating_sub((limits::len(&shown) - room).max(1));
        shown = quote(&limits::shorten(&due.issue_handling, budget, pointer));
    }
    let shortened = shown != whole;
    (format!("{head}{shown}{tail}"), shortened)
}

/// A member's text as a Discord quote, line by line.
fn quote(text: &str) -> String {
    format!("> {}", text.replace('\n', "\n> "))
}

/// The celebration: who, their purpose and every member's note, shortened to fair shares when
/// they do not all fit, with "Show in full". The flag says whether anything was shortened.
pub fn celebration_text(due: &CelebrationDue) -> (String, bool) {
    let members: Vec<String> = due.rel.joined().map(|m| mention(m.user)).collect();
    // Every member agreed to this post. It names them, but neither the mentorship's number nor
    // its purpose: those would tie them to anything else said about that number.
    let head = format!(
        "🎉 **Celebrating**: {} completed their {} mentorship.",
        members.join(" and "),
        due.rel.kind,
    );
    let labels: Vec<String> = due
        .notes
        .iter()
        .map(|(who, _)| format!("\n{}: ", mention(*who)))
        .collect();
    let texts: Vec<&str> = due.notes.iter().map(|(_, n)| n.as_str()).collect();
    let note = "\nTexts ending in … are shortened: **Show in full** has every word.";
    let fixed = limits::len(&head) + labels.iter().map(|l| limits::len(l)).sum::<usize>() + limits::len(note);
    let lengths: Vec<usize> = texts.iter().map(|t| limits::len(t)).collect();
    let shares = limits::shares(&lengths, limits::MESSAGE_MAX.saturating_sub(fixed));
    let shown: Vec<String> = texts.iter().zip(&shares).map(|(t, n)| limits::fit(t, *n)).collect();
    let shortened = shown.iter().zip(&texts).any(|(s, t)| s != t);
    let mut text = head;
    for (label, note) in labels.iter().zip(&shown) {
        text += label;
        text += note;
    }
    if shortened {
        text += note;
    }
    (text, shortened)
}

/// For buttons: the relationship and check-in numbers of a custom id.
pub fn checkin_target(id: &CustomId) -> Option<(GuildId, RelationshipId, crate::domain::ids::CheckinId)> {
    match id.numbers.as_slice() {
        [g, r, c] => Some((
            GuildId(*g),
            RelationshipId(*r as i64),
            crate::domain::ids::CheckinId(*c as i64),
        )),
        _ => None,
    }
}

/// The digest's text: counts and mentions of people waiting, never anyone's words.
pub fn digest_text(d: &Digest) -> String {
    let mut text = String::from("**Weekly program digest**");
    if let (Some(role), Organisers::Channel { .. }) = (d.coordinator_role, &d.to) {
        text += &format!(" for <@&{role}>");
    }
    text += &format!(
        "\n**Requests waiting for a match:** {} ({} new this week).",
        d.requests_waiting, d.new_requests
    );
    if d.unplaced.is_empty() {
        text += "\n**Unplaced by the last matching run:** nobody.";
    } else {
        let shown: Vec<String> = d.unplaced.iter().take(20).map(|u| mention(*u)).collect();
        text += &format!(
            "\n**Unplaced by the last matching run:** {} ({}{}).",
            d.unplaced.len(),
            shown.join(", "),
            if d.unplaced.len() > 20 { ", ..." } else { "" }
        );
    }
    text += &format!(
        "\n**Active mentorships:** {}.",
        super::commands::organisers::health_line(&d.health)
    );
    if !d.at_risk.is_empty() {
        let list: Vec<String> = d
            .at_risk
            .iter()
            .take(30)
            .map(|(id, h)| format!("#{id} ({})", h.as_str()))
            .collect();
        text += &format!("\n**At risk:** {}.", list.join(", "));
    }
    if d.invitations_waiting + d.declined + d.lapsed > 0 {
        text += &format!(
            "\n**Program invitations:** {} waiting for an answer; {} declined and {} lapsed in the last {} weeks.",
            d.invitations_waiting,
            d.declined,
            d.lapsed,
            crate::engine::invitation_status::RECENT_WEEKS
        );
        if !d.not_answered.is_empty() {
            let shown: Vec<String> = d.not_answered.iter().take(30).map(|u| mention(*u)).collect();
            text += &format!(
                "\n**Not answered yet:** {}{}.",
                shown.join(", "),
                if d.not_answered.len() > 30 {
                    ", ... (/program invitations)"
                } else {
                    ""
                }
            );
        }
    }
    text += "\n`/program stats` has the chart; `/program export` the full list.";
    text
}
