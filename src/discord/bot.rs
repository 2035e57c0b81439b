//! The bot's shared state, and what it tells people after each change.
use std::sync::Arc;

use serenity::all::{
    AutoArchiveDuration, ButtonStyle, ChannelId, ChannelType, CreateActionRow, CreateButton, CreateThread, EditThread,
    UserId as SUserId,
};
use tracing::{info, warn};

use super::guide;
use super::ids::{Action, CustomId};
use super::limits::{self, Pings};
use super::notify::{Delivery, Notifier};
use super::pages::{self, Listing};
use super::render::{self, mention};
use crate::domain::guide::Transition;
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::domain::relationship::{EndReason, MemberStatus, Relationship, State};
use crate::engine::Engine;

pub use crate::engine::drafts::Draft;

pub struct Bot {
    pub engine: Engine,
    pub notifier: Notifier,
    /// The bot's own client for files members attach (`/program import`): serenity's download
    /// helper builds a client of its own, which nothing can point elsewhere (the stand-in's CDN).
    pub files: reqwest::Client,
}

impl Bot {
    pub fn new(engine: Engine, notifier: Notifier) -> Self {
        Self {
            engine,
            notifier,
            files: reqwest::Client::new(),
        }
    }

    /// The same bot, downloading attachments with `client`.
    pub fn with_files(mut self, client: reqwest::Client) -> Self {
        self.files = client;
        self
    }

    pub fn answer_buttons(guild: GuildId, rel: RelationshipId) -> CreateActionRow {
        CreateActionRow::Buttons(vec![
            CreateButton::new(CustomId::on(Action::Accept, guild, rel).encode())
                .label("Accept")
                .style(ButtonStyle::Success),
            CreateButton::new(CustomId::on(Action::Decline, guild, rel).encode())
                .label("Decline")
                .style(ButtonStyle::Danger),
        ])
    }

    /// Invitations go to everyone who has not answered yet.
    pub async fn on_proposed(&self, rel: &Relationship) {
        let who = if rel.origin == crate::domain::relationship::Origin::ProgramMatch {
            "The program's organisers".to_string()
        } else {
            mention(rel.proposer)
        };
        for m in rel.members.iter().filter(|m| m.status == MemberStatus::Invited) {
            let template = format!(
                "{who} invites you to a **{}** mentorship (#{}) as **{}**, with {}.\n**Purpose:** {}\nThis invitation expires {}.",
                rel.kind,
                rel.number,
                m.role,
                render::others(rel, m.user),
                limits::TEXT,
                render::when(rel.expires_at)
            );
            let about = match self.engine.about_sender(rel, m.user).await {
                Ok(a) => about_sender_text(rel, &a),
                Err(e) => {
                    warn!(rel = rel.id.0, error = %e, "could not read about the sender");
                    String::new()
                }
            };
            let template = format!("{template}{about}");
            let text = render::with_purpose(&template, &rel.purpose, limits::DM_MAX);
            let message = limits::dm(text).components(vec![Self::answer_buttons(rel.guild, rel.id)]);
            if self.notifier.dm_always(rel.guild, Some(rel.id), m.user, message).await == Delivery::Undelivered {
                self.undelivered_invitation(rel, m.user, rel.proposer).await;
            }
        }
    }

    /// An invitation that could not be delivered: whoever sent it hears so, with what helps.
    pub async fn undelivered_invitation(&self, rel: &Relationship, invitee: UserId, sender: UserId) {
        warn!(rel = rel.id.0, user = invitee.0, "invitation undelivered");
        let text = undelivered_text(rel, invitee);
        self.notifier
            .dm_always(rel.guild, Some(rel.id), sender, limits::dm(text))
            .await;
    }

    /// After an answer: the others hear it; a relationship that just got accepted gets its thread.
    pub async fn on_answered(&self, before: State, rel: &Relationship, actor: UserId, accepted: bool) {
        let verb = if accepted { "accepted" } else { "declined" };
        for m in rel
            .members
            .iter()
            .filter(|m| m.user != actor && m.status == MemberStatus::Joined)
        {
            // The purpose was in the invitation; it is not pasted into every notice (issue 16, item 13).
            let mut template = format!(
                "{} {verb} the invitation to mentorship #{}.",
                mention(actor),
                rel.number
            );
            if rel.state == State::Declined {
                template += &declined_next(rel, m.user);
            }
            if before == State::Proposed && rel.state == State::Accepted {
                template += &guide::tips_for(&self.engine, rel.guild, m.user, Transition::Accepted).await;
            }
            let text = limits::fit(&template, limits::DM_MAX);
            self.notifier
                .dm(rel.guild, Some(rel.id), m.user, limits::dm(text))
                .await;
        }
        // Those who had not answered yet hear that there is nothing left to answer.
        if rel.state == State::Declined {
            for m in rel.members.iter().filter(|m| m.status == MemberStatus::Invited) {
                let text = format!(
                    "The invitation to mentorship #{} will not go ahead: {} declined it, so there is nothing to \
                     answer now.{}",
                    rel.number,
                    mention(actor),
                    declined_next(rel, m.user)
                );
                self.notifier
                    .dm(rel.guild, Some(rel.id), m.user, limits::dm(text))
                    .await;
            }
        }
        if before == State::Proposed && rel.state == State::Accepted {
            self.open_thread(rel).await;
        } else if accepted && rel.state.is_underway() {
            if let Ok(Some(thread)) = self.engine.thread_of(rel.guild, rel.id).await {
                self.add_to_thread(rel, thread, actor, false).await;
            }
        }
    }

    async fn open_thread(&self, rel: &Relationship) {
        let Ok(settings) = self.engine.program_settings(rel.guild).await else {
            return;
        };
        let Some(channel) = settings.channel else { return };
        let http = self.notifier.http();
        let name = format!("mentorship-{}", rel.number);
        let thread = self
            .notifier
            .paced_other(
                &format!("/channels/{channel}/threads"),
                ChannelId::new(channel).create_thread(
                    http,
                    CreateThread::new(name)
                        .kind(ChannelType::PrivateThread)
                        .invitable(false)
                        // The longest Discord allows: a quiet pair's thread archives as late as can be.
                        .auto_archive_duration(AutoArchiveDuration::OneWeek),
                ),
            )
            .await;
        let thread = match thread {
            Ok(t) => t.id,
            Err(e) => {
                warn!(rel = rel.id.0, error = %e, "could not open the private thread");
                return;
            }
        };
        if let Err(e) = self.engine.set_thread(rel.guild, rel.id, thread.get()).await {
            warn!(error = %e, "could not remember the thread");
        }
        for m in rel.joined() {
            self.add_to_thread(rel, thread.get(), m.user, true).await;
        }
        let members: Vec<String> = rel
            .joined()
            .map(|m| format!("{} ({})", mention(m.user), m.role))
            .collect();
        let template = format!(
            "Welcome to mentorship #{}: {}.\n**Purpose:** {}\n\n**Your agreement** (phase 3): agree on what each of you \
             expects, how you will handle issues, and how often, when and how you meet. One of you fills in the form with \
             `/mentorship agreement mentorship:{}` (frequency, day, time, time zone, meeting length, method, start and end \
             date; the expectations and issue handling are typed in the form); everyone then confirms it.{}",
            rel.number,
            members.join(", "),
            limits::TEXT,
            rel.number,
            guide::tips(&self.engine, rel.guild, Transition::Accepted).await
        );
        let text = render::with_purpose(&template, &rel.purpose, limits::MESSAGE_MAX);
        // The members are pinged, so the new thread shows up for them.
        let pings = Pings::users(rel.joined().map(|m| m.user));
        if let Err(e) = self.notifier.post(thread.get(), limits::post(text, &pings)).await {
            warn!(error = %e, "could not post the agreement form");
        }
    }

    /// Adds a member to the relationship's private thread. A failure is not dropped: a durable
    /// job tries again, and tells the organisers if it keeps failing.
    async fn add_to_thread(&self, rel: &Relationship, thread: u64, user: UserId, fresh: bool) {
        if let Err(e) = self.add_thread_member(thread, user, fresh).await {
            warn!(rel = rel.id.0, user = user.0, error = %e, "could not add a member to the thread; a job will try again");
            if let Err(e) = self.engine.plan_thread_member(rel.guild, rel.id, thread, user).await {
                warn!(rel = rel.id.0, error = %e, "could not plan adding the member to the thread");
            }
        }
    }

    /// Discord refuses to add anyone to an archived thread, and private threads archive after a
    /// while without messages: one that is not `fresh` is unarchived first.
    pub async fn add_thread_member(&self, thread: u64, user: UserId, fresh: bool) -> Result<(), serenity::Error> {
        let http = self.notifier.http();
        let thread = ChannelId::new(thread);
        let key = format!("/channels/{thread}");
        if !fresh {
            self.notifier
                .paced_other(&key, thread.edit_thread(http, EditThread::new().archived(false)))
                .await?;
        }
        self.notifier
            .paced_other(
                &format!("{key}/thread-members"),
                thread.add_thread_member(http, SUserId::new(user.0)),
            )
            .await
    }

    /// A new version of the agreement goes to every member with a Confirm button.
    pub async fn on_agreement(&self, rel: &Relationship) {
        let Some(a) = rel.latest_agreement() else { return };
        let (text, shortened) = render::agreement_text(rel, a, limits::DM_MAX);
        let in_full =
            pages::show_in_full_button(Listing::Agreement, rel.guild, &[rel.id.0 as u64, u64::from(a.version)]);
        for m in rel.joined() {
            let mut buttons = Vec::new();
            if !a.confirmed_by.contains(&m.user) {
                let id = CustomId::new(Action::Confirm, &[rel.guild.0, rel.id.0 as u64, u64::from(a.version)]);
                buttons.push(
                    CreateButton::new(id.encode())
                        .label(format!("Confirm version {}", a.version))
                        .style(ButtonStyle::Success),
                );
            }
            // Every member may propose a change from here (issue 16, item 9).
            buttons.push(super::agreement_change::button(rel.guild, rel.id));
            if shortened {
                buttons.push(in_full.clone());
            }
            let mut message = limits::dm(text.clone());
            if !buttons.is_empty() {
                message = message.components(vec![CreateActionRow::Buttons(buttons)]);
            }
            self.notifier.dm(rel.guild, Some(rel.id), m.user, message).await;
        }
    }

    pub async fn on_confirmed(&self, rel: &Relationship, actor: UserId, version: u32) {
        let in_force = rel.agreement_in_force().map(|a| a.version) == Some(version);
        let with_tips = in_force && rel.state == State::Active;
        for m in rel.joined().filter(|m| m.user != actor) {
            let tips = if with_tips {
                guide::tips_for(&self.engine, rel.guild, m.user, Transition::Confirmed).await
            } else {
                String::new()
            };
            let text = if in_force {
                format!(
                    "Everyone confirmed version {version} of the agreement of mentorship #{}: it is in force.{tips}",
                    rel.number
                )
            } else {
                format!(
                    "{} confirmed version {version} of the agreement of mentorship #{}.",
                    mention(actor),
                    rel.number
                )
            };
            self.notifier
                .dm(rel.guild, Some(rel.id), m.user, limits::dm(text))
                .await;
        }
    }

    /// The end: every member gets the retrospective form and the way to their next relationship.
    pub async fn on_ended(&self, rel: &Relationship) {
        for m in rel.joined() {
            let tips = guide::tips_for(&self.engine, rel.guild, m.user, Transition::Ended).await;
            let (text, rows) = ended_message(rel, &tips);
            let message = limits::dm(text.clone()).components(rows.clone());
            self.notifier.dm(rel.guild, Some(rel.id), m.user, message).await;
        }
    }

    /// A member paused: the others hear it, with a Resume button.
    pub async fn on_paused(&self, rel: &Relationship, actor: UserId) {
        let text = format!(
            "{} paused mentorship #{}: no reminders until one of you resumes it (the button below or /mentorship \
             resume), or ends it with /mentorship end.",
            mention(actor),
            rel.number
        );
        for m in rel.joined().filter(|m| m.user != actor) {
            let message = limits::dm(text.clone()).components(vec![resume_row(rel)]);
            self.notifier.dm(rel.guild, Some(rel.id), m.user, message).await;
        }
    }

    /// The sender withdrew an invitation: everyone else in it (invited or joined) hears it.
    pub async fn on_withdrawn(&self, rel: &Relationship, actor: UserId) {
        let text = format!(
            "{} withdrew the invitation to mentorship #{}, so it will not go ahead and there is nothing to answer \
             now. /mentor suggest and /mentor seek find another match.",
            mention(actor),
            rel.number
        );
        for m in rel.members.iter().filter(|m| m.user != actor) {
            self.notifier
                .dm(rel.guild, Some(rel.id), m.user, limits::dm(text.clone()))
                .await;
        }
    }

    /// A member left a peer group that goes on: the others hear it.
    pub async fn on_left(&self, rel: &Relationship, actor: UserId) {
        let text = format!(
            "{} left peer group #{}; it goes on with the {} of you.",
            mention(actor),
            rel.number,
            rel.joined().count()
        );
        for m in rel.joined().filter(|m| m.user != actor) {
            self.notifier
                .dm(rel.guild, Some(rel.id), m.user, limits::dm(text.clone()))
                .await;
        }
    }

    /// A member resumed: the others hear it.
    pub async fn on_resumed(&self, rel: &Relationship, actor: UserId) {
        let text = format!(
            "{} resumed mentorship #{}: reminders for your check-ins start again.",
            mention(actor),
            rel.number
        );
        for m in rel.joined().filter(|m| m.user != actor) {
            self.notifier
                .dm(rel.guild, Some(rel.id), m.user, limits::dm(text.clone()))
                .await;
        }
    }

    /// Lapses unanswered proposals and tells their senders. Production runs it every minute;
    /// tests call it after moving the clock.
    pub async fn sweep_expired(&self) -> usize {
        let expired = match self.engine.expire_due(100).await {
            Ok(e) => e,
            Err(e) => {
                warn!(error = %e, "expiry sweep failed");
                return 0;
            }
        };
        for rel in &expired {
            info!(rel = rel.id.0, "proposal expired");
            for m in rel.joined() {
                let text = format!(
                    "Nobody answered your invitation to mentorship #{} in time, so it has lapsed. You can ask \
                     someone else, or try again later.",
                    rel.number
                );
                self.notifier
                    .dm(rel.guild, Some(rel.id), m.user, limits::dm(text))
                    .await;
            }
            let text = format!(
                "The invitation to mentorship #{} has lapsed: it was not answered by everyone in time, so there is \
                 nothing to answer now. If you still want it, ask with /mentor request or /mentor offer-to.",
                rel.number
            );
            for m in rel.members.iter().filter(|m| m.status == MemberStatus::Invited) {
                self.notifier
                    .dm(rel.guild, Some(rel.id), m.user, limits::dm(text.clone()))
                    .await;
            }
        }
        expired.len()
    }

    /// Someone left the server (or was banned): their buttons stop working, their relationships
    /// change and the others are told.
    pub async fn on_member_left(&self, guild: GuildId, user: UserId) {
        if let Err(e) = self.engine.record_member_gone(guild, user).await {
            warn!(error = %e, "could not record a member leaving");
        }
        let changed = match self.engine.member_left(guild, user).await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "could not handle a member leaving");
                return;
            }
        };
        for rel in &changed {
            let what = match rel.state {
                State::Paused => " is paused. Resume it with the button below or /mentorship resume if they come \
                                  back, or end it with /mentorship end."
                    .to_string(),
                State::Ended => " has ended.".to_string(),
                s if s.is_underway() => format!(" goes on without them, with {} of you.", rel.joined().count()),
                _ => " will not go ahead.".to_string(),
            };
            for m in rel.joined().filter(|m| m.user != user) {
                let text = format!("{} left the server, so mentorship #{}{what}", mention(user), rel.number);
                let mut message = limits::dm(text);
                if rel.state == State::Paused {
                    message = message.components(vec![resume_row(rel)]);
                }
                self.notifier.dm(guild, Some(rel.id), m.user, message).await;
            }
        }
    }
}

pub type SharedBot = Arc<Bot>;

/// What comes next for `user` after an invitation was declined (issue 16, item 7): a mentee
/// whose request it was made of hears that the request stays open for matching.
pub fn declined_next(rel: &Relationship, user: UserId) -> String {
    match rel.request {
        Some(_) if rel.mentee() == Some(user) => " Your request stays open, so the organisers can still match you; \
                                                   /mentor suggest shows who else fits, and /mentor withdraw closes the \
                                                   request if you no longer want a mentor."
            .to_string(),
        _ => " The mentorship will not go ahead; /mentor suggest and /mentor seek find another match, /mentor offer \
              offers to mentor."
            .to_string(),
    }
}

/// What the invitee reads about the sender of a member's invitation: goals, time zone and the
/// hours a week both are free (how much, never when: that is the sender's own calendar).
pub fn about_sender_text(rel: &Relationship, about: &crate::engine::invitations::AboutSender) -> String {
    let mut out = String::new();
    let who = mention(rel.proposer);
    if !about.goals.is_empty() {
        let what = if rel.mentee() == Some(rel.proposer) {
            "goals"
        } else {
            "topics"
        };
        out += &format!("\n**{who}'s {what}:** {}", about.goals.join(", "));
    }
    if let Some(tz) = about.timezone {
        out += &format!("\n**{who}'s time zone:** {}", tz.name());
        out += &match about.shared_minutes {
            Some(0) => "; by your profiles you share no free weekly time yet".to_string(),
            Some(m) => {
                let hours = m as f64 / 60.0;
                let shown = if hours.fract() == 0.0 {
                    format!("{hours:.0}")
                } else {
                    format!("{hours:.1}")
                };
                let unit = if shown == "1" { "hour" } else { "hours" };
                format!("; by your profiles you are both free {shown} {unit} a week")
            }
            None => "; set your own availability with /mentor profile to see the free hours you share".to_string(),
        };
    }
    out
}

/// Said to the sender of an invitation the bot could not deliver.
pub fn undelivered_text(rel: &Relationship, invitee: UserId) -> String {
    format!(
        "I could not deliver the invitation to mentorship #{} to {}: Discord refused a DM to them. Ask them to allow \
         direct messages from this server's members; they can then answer it with /mentorship answer \
         mentorship:{} (it expires {}).",
        rel.number,
        mention(invitee),
        rel.number,
        render::when(rel.expires_at)
    )
}

/// The Resume button of a pause notice.
pub fn resume_row(rel: &Relationship) -> CreateActionRow {
    CreateActionRow::Buttons(vec![CreateButton::new(
        CustomId::on(Action::ResumeRel, rel.guild, rel.id).encode(),
    )
    .label("Resume")
    .style(ButtonStyle::Primary)])
}

/// What the person who paused reads.
pub fn paused_text(rel: &Relationship) -> String {
    format!(
        "Mentorship #{} is paused: no reminders until one of you resumes it with the button below or /mentorship \
         resume. /mentorship end ends it instead.",
        rel.number
    )
}

/// What the person who resumed reads.
pub fn resumed_text(rel: &Relationship) -> String {
    format!(
        "Mentorship #{} is active again; reminders for your check-ins start again. The others are told.",
        rel.number
    )
}

/// The question before an ending (issue 16, item 6): nothing ends until the member confirms.
/// `reason` is the one the command chose; the End button (`None`) offers the reasons instead.
/// In a peer group that goes on without them, a member leaves it rather than ending it.
pub fn end_confirmation(rel: &Relationship, leaves: bool, reason: Option<EndReason>) -> (String, Vec<CreateActionRow>) {
    let n = |extra: &[u64]| {
        let mut v = vec![rel.guild.0, rel.id.0 as u64];
        v.extend_from_slice(extra);
        v
    };
    let button = |action: Action, numbers: &[u64], label: &str, style: ButtonStyle| {
        CreateButton::new(CustomId::new(action, numbers).encode())
            .label(label)
            .style(style)
    };
    let cancel = button(Action::EndCancel, &n(&[]), "Keep it", ButtonStyle::Secondary);
    if leaves {
        let others = rel.joined().count().saturating_sub(1);
        let text = format!(
            "Leave peer group #{}? It goes on for the other {others} without you, so you leave it rather than end \
             it for everyone; you get no more of its reminders. Nothing changes until you press Leave the group.",
            rel.number
        );
        let leave = button(Action::LeaveGroup, &n(&[]), "Leave the group", ButtonStyle::Danger);
        return (text, vec![CreateActionRow::Buttons(vec![leave, cancel])]);
    }
    let reasons: Vec<EndReason> = match reason {
        Some(r) => vec![r],
        None => vec![EndReason::GoalsMet, EndReason::NotAFit, EndReason::Other],
    };
    let mut buttons: Vec<CreateButton> = reasons
        .iter()
        .map(|&r| {
            let label = match (reason, r) {
                (Some(_), _) => "End it".to_string(),
                (None, EndReason::GoalsMet) => "End: goals met".to_string(),
                (None, EndReason::NotAFit) => "End: not a fit".to_string(),
                (None, _) => "End: other reason".to_string(),
            };
            button(
                Action::EndConfirm,
                &n(&[super::ids::end_reason_code(r)]),
                &label,
                ButtonStyle::Danger,
            )
        })
        .collect();
    buttons.push(cancel);
    let why = match reason {
        Some(r) => format!(" ({})", r.to_string().replace('_', " ")),
        None => String::new(),
    };
    let text = format!(
        "End mentorship #{}{why} for everyone in it? It cannot be resumed afterwards; each of you then gets a short \
         retrospective. Nothing changes until you press {}. (/mentorship pause pauses it instead.)",
        rel.number,
        if reason.is_some() {
            "End it"
        } else {
            "one of the End buttons"
        }
    );
    (text, vec![CreateActionRow::Buttons(buttons)])
}

/// What the member who left a peer group reads.
pub fn left_text(rel: &Relationship) -> String {
    format!(
        "You left peer group #{}; it goes on for the other {}. /mentor peer-group starts a new one.",
        rel.number,
        rel.joined().count()
    )
}

/// The message at the end: the retrospective prompt, the rating, the way to the next mentorship
/// ("Find me another"), and the end phase's `tips` (see `guide::tips`).
pub fn ended_message(rel: &Relationship, tips: &str) -> (String, Vec<CreateActionRow>) {
    let by = rel.ended_by.map(mention).unwrap_or_else(|| "the bot".into());
    // Not a fit is nobody's failure: no celebration asked for, and the way on comes first.
    if rel.end_reason == Some(EndReason::NotAFit) {
        let text = format!(
            "Mentorship #{} has ended (by {by}): it was not a fit. That happens, and it is nobody's fault; thank you \
             for trying it. **Find me another** re-opens your request (or offer) and shows who else fits, never the \
             same person again. If you like, look back in a few words first (what did you learn, what would you do \
             differently?) with Write my retrospective.\n{}{tips}",
            rel.number,
            guide::RATING_QUESTION
        );
        return (
            limits::fit(&text, limits::DM_MAX),
            guide::ending_rows(rel.guild, rel.id),
        );
    }
    let template = format!(
        "Mentorship #{} has ended ({}, by {by}). Take a moment to look back: what did you learn, what would \
         you do differently, what should be celebrated?\n{}\nWhen you are ready for the next one, **Find me another** \
         re-opens your request (or offer) and shows who fits; /mentor seek and /mentor offer start new ones.{tips}",
        rel.number,
        rel.end_reason
            .map(|r| r.to_string().replace('_', " "))
            .unwrap_or_default(),
        guide::RATING_QUESTION
    );
    let text = limits::fit(&template, limits::DM_MAX);
    (text, guide::ending_rows(rel.guild, rel.id))
}
