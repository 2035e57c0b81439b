//! The schedule's jobs, sent: reminders, did-you-meet, nudges, the issue-handling prompt, the
//! midpoint review, the planned end, the retrospective reminder and the celebration.
//!
//! The engine says whether a job is still wanted and what it is about; this turns that into
//! messages. Every message carries a nonce from its job and recipient with `enforce_nonce`, so a
//! job run twice (its holder died after sending, before acknowledging) posts nothing twice.
use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton, CreateMessage, Nonce};
use tracing::warn;

use super::bot::Bot;
use super::ids::{Action, CustomId};
use super::notify::Delivery;
use super::render::{mention, when};
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::domain::relationship::{Relationship, State};
use crate::engine::organisers::{Digest, Organisers};
use crate::engine::schedule::{kind, CheckinDue, ReminderDue};
use crate::engine::Error;
use crate::jobs::{Job, JobHandler, Outcome};

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

/// The reminder before a check-in: when, how, the agenda, and Reschedule / Skip.
pub fn reminder_message(due: &ReminderDue) -> (String, Vec<CreateActionRow>) {
    let t = &due.terms;
    let rel = &due.rel;
    let mut text = format!(
        "**Reminder: check-in of mentorship #{}** {} ({}).\n**When:** {} for {} minutes\n**How:** {}{}",
        rel.id,
        relative(due.checkin.scheduled_at),
        rel.purpose,
        when(due.checkin.scheduled_at),
        t.meeting_minutes,
        t.method,
        t.place.as_deref().map(|p| format!(", {p}")).unwrap_or_default()
    );
    if due.agenda.is_empty() {
        text += "\n**Agenda:** no open steps in your action plan; add some with /mentorship plan step.";
    } else {
        text += "\n**Agenda** (open steps of your action plan):";
        for step in due.agenda.iter().take(15) {
            text += &format!("\n- {step}");
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

pub fn did_you_meet_text(due: &CheckinDue) -> String {
    format!(
        "**Did you meet?** Mentorship #{} ({}) had a check-in planned {}. Tell the bot how it went; \"We met\" opens a \
         short reflection for your private journal.",
        due.rel.id,
        due.rel.purpose,
        when(due.checkin.scheduled_at)
    )
}

impl ScheduleJobs {
    /// Sends one message to each joined member, each with its own nonce. Retry when any could
    /// not be delivered; the nonces keep the ones already sent from appearing twice.
    async fn to_members(
        &self,
        job: &Job,
        rel: &Relationship,
        only: Option<&[UserId]>,
        text: &str,
        components: Vec<CreateActionRow>,
    ) -> Outcome {
        let mut failed = 0;
        for m in rel.joined() {
            if only.is_some_and(|o| !o.contains(&m.user)) {
                continue;
            }
            let message = CreateMessage::new()
                .content(text)
                .components(components.clone())
                .nonce(Nonce::String(job.nonce_for(m.user.0)))
                .enforce_nonce(true);
            if self.bot.notifier.dm(rel.guild, Some(rel.id), m.user, message).await == Delivery::Undelivered {
                failed += 1;
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

    /// Organisers' information, where only organisers read it: the coordinator channel, else a
    /// DM to each coordinator, else to the server's owner. Never the program channel. `part`
    /// keeps the channel post's nonce apart from the job's other messages.
    async fn to_organisers(
        &self,
        job: &Job,
        guild: GuildId,
        to: &Organisers,
        text: &str,
        part: Option<u64>,
    ) -> Outcome {
        let nonce = |n: String| {
            CreateMessage::new()
                .content(text)
                .nonce(Nonce::String(n))
                .enforce_nonce(true)
        };
        let people = match to {
            Organisers::Channel(channel) => {
                let n = part.map_or_else(|| job.nonce(), |p| job.nonce_for(p));
                return match self.bot.notifier.post(*channel, nonce(n)).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Retry { error: e.to_string() },
                };
            }
            Organisers::People(people) => people.clone(),
            Organisers::Owner => match self
                .bot
                .notifier
                .http()
                .get_guild(serenity::all::GuildId::new(guild.0))
                .await
            {
                Ok(g) => vec![UserId(g.owner_id.get())],
                Err(e) => return Outcome::Retry { error: e.to_string() },
            },
        };
        let mut failed = 0;
        for p in people {
            // Not the nonce of a member's own message of the same job (a coordinator may be one).
            let message = nonce(job.nonce_for(!p.0));
            if self.bot.notifier.dm(guild, None, p, message).await == Delivery::Undelivered {
                failed += 1;
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

    async fn run(&self, job: &Job) -> Result<Outcome, Error> {
        let engine = &self.bot.engine;
        Ok(match job.kind.as_str() {
            kind::PLAN => {
                if let Some(rel) = job.relationship {
                    engine.sync_schedule(job.guild, rel).await?;
                }
                Outcome::Done
            }
            kind::REMINDER => match engine.due_reminder(job).await? {
                Some(due) => {
                    let (text, rows) = reminder_message(&due);
                    self.to_members(job, &due.rel, None, &text, rows).await
                }
                None => Outcome::Done,
            },
            kind::DID_YOU_MEET => match engine.due_did_you_meet(job).await? {
                Some(due) => {
                    let text = did_you_meet_text(&due);
                    self.to_members(job, &due.rel, None, &text, meeting_buttons(&due)).await
                }
                None => Outcome::Done,
            },
            kind::NUDGE => match engine.due_nudge(job).await? {
                Some(due) => {
                    let text = format!(
                        "A gentle nudge: nobody has said yet whether the check-in of mentorship #{} {} took place. \
                         A quick answer keeps your schedule and journal right.",
                        due.rel.id,
                        when(due.checkin.scheduled_at)
                    );
                    self.to_members(job, &due.rel, None, &text, meeting_buttons(&due)).await
                }
                None => Outcome::Done,
            },
            kind::ISSUES => match engine.due_issues(job).await? {
                Some(due) => {
                    let text = format!(
                        "**Mentorship #{}: {} check-ins in a row did not happen.** That is normal now and then; here \
                         is what you agreed to do when issues come up:\n> {}\n\nYou can change how often you meet, \
                         pause for a while, or end the mentorship.",
                        due.rel.id,
                        due.missed,
                        due.issue_handling.replace('\n', "\n> ")
                    );
                    let n = [due.rel.guild.0, due.rel.id.0 as u64];
                    let row = CreateActionRow::Buttons(vec![
                        button(Action::ChangeFrequency, &n, "Change frequency", ButtonStyle::Primary),
                        button(Action::PauseRel, &n, "Pause", ButtonStyle::Secondary),
                        button(Action::EndRel, &n, "End", ButtonStyle::Danger),
                    ]);
                    let outcome = self.to_members(job, &due.rel, None, &text, vec![row]).await;
                    // Counts only: the organisers hear that a pair needs help, not why.
                    let note = format!(
                        "Mentorship #{} has missed {} check-ins in a row; its members got their issue-handling prompt.",
                        due.rel.id, due.missed
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
                    let text = format!(
                        "**Halfway through mentorship #{}** ({}). A good moment to look at your goals and your \
                         agreement together: are the goals still the right ones, is the rhythm working? \
                         `/mentorship plan list mentorship:{}` shows the plan; `/mentorship agreement` changes the \
                         agreement.",
                        rel.id, rel.purpose, rel.id
                    );
                    self.to_members(job, &rel, None, &text, vec![]).await
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
                let (text, rows) = super::bot::ended_message(&rel);
                self.to_members(job, &rel, None, &text, rows).await
            }
            kind::RETRO_REMINDER => match engine.due_retro_reminder(job).await? {
                Some((rel, missing)) => {
                    let text = format!(
                        "A reminder: your retrospective on mentorship #{} ({}) is still open. A few lines on what you \
                         learned help you and your next mentorship.",
                        rel.id, rel.purpose
                    );
                    let row = CreateActionRow::Buttons(vec![button(
                        Action::Retro,
                        &[rel.guild.0, rel.id.0 as u64],
                        "Write my retrospective",
                        ButtonStyle::Primary,
                    )]);
                    self.to_members(job, &rel, Some(&missing), &text, vec![row]).await
                }
                None => Outcome::Done,
            },
            kind::CELEBRATE => match engine.due_celebration(job).await? {
                Some(due) => {
                    // Every member agreed to this post. It names them, but not the mentorship's number
                    // nor its purpose: those would tie them to anything else said about that number.
                    let members: Vec<String> = due.rel.joined().map(|m| mention(m.user)).collect();
                    let mut text = format!(
                        "🎉 **Celebrating**: {} completed their {} mentorship.",
                        members.join(" and "),
                        due.rel.kind,
                    );
                    for (who, note) in &due.notes {
                        text += &format!("\n{}: {}", mention(*who), note);
                    }
                    let message = CreateMessage::new()
                        .content(text)
                        .nonce(Nonce::String(job.nonce()))
                        .enforce_nonce(true);
                    match self.bot.notifier.post(due.channel, message).await {
                        Ok(()) => Outcome::Done,
                        Err(e) => Outcome::Retry { error: e.to_string() },
                    }
                }
                None => Outcome::Done,
            },
            crate::engine::organisers::DIGEST => match engine.due_digest(job).await? {
                Some(digest) => {
                    let text = digest_text(&digest);
                    self.to_organisers(job, digest.guild, &digest.to, &text, None).await
                }
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
        bot.notifier
            .dm(guild, Some(rel.id), m.user, CreateMessage::new().content(text))
            .await;
    }
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
    if let (Some(role), Organisers::Channel(_)) = (d.coordinator_role, &d.to) {
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
    text += "\n`/program stats` has the chart; `/program export` the full list.";
    text
}
