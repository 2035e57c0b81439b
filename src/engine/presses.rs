//! Buttons and forms. Their custom ids carry what they act on (a server, a relationship, a
//! check-in, a person), and anyone can forge one, so everything a custom id carries is checked
//! here again: the presser is a person and a member of that server now, the relationship is
//! theirs, the check-in is of that relationship, the draft is their own, the person of a
//! suggestion was suggested to them. The Discord layer only turns the custom id into a
//! [`Press`] or [`Submit`] and what comes back into messages.
use std::collections::HashMap;

use chrono_tz::Tz;

use super::drafts::Draft;
use super::guide::Reopened;
use super::matching::{SuggestFor, Suggestion};
use super::members::{Presser, NOT_FOR_YOU};
use super::questions::QuestionsPage;
use super::schedule::Moved;
use super::{Direction, Engine, Error, MeetingAnswer, Result};
use crate::domain::checkin::Checkin;
use crate::domain::guide::Fit;
use crate::domain::ids::*;
use crate::domain::journal::{reflection_questions, JournalEntry};
use crate::domain::listing::{Kind, Offer, Request};
use crate::domain::questions::QuestionId;
use crate::domain::relationship::{EndReason, Relationship, Role, State};
use crate::domain::retrospective::RetrospectiveInput;
use crate::domain::validate::ValidationError;
use crate::store::guide::EvaluationAnswer;

/// A button, as its custom id says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    Accept {
        guild: GuildId,
        rel: RelationshipId,
    },
    Decline {
        guild: GuildId,
        rel: RelationshipId,
    },
    Confirm {
        guild: GuildId,
        rel: RelationshipId,
        version: u32,
    },
    /// Opens the retrospective form.
    Retro {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// Opens the reflection form (about one check-in, or none).
    Reflect {
        guild: GuildId,
        rel: RelationshipId,
        checkin: Option<CheckinId>,
    },
    Skip {
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    },
    Met {
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    },
    NotMet {
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    },
    /// Opens the form that moves a check-in.
    Reschedule {
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    },
    /// Opens the form that changes the frequency.
    ChangeFrequency {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// "Suggest a change" on the Confirm message: opens the prefilled form.
    SuggestChange {
        guild: GuildId,
        rel: RelationshipId,
    },
    Pause {
        guild: GuildId,
        rel: RelationshipId,
    },
    End {
        guild: GuildId,
        rel: RelationshipId,
    },
    Resume {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// Confirms `/mentor forget`; `user` is whom it was shown to.
    Forget {
        guild: GuildId,
        user: UserId,
    },
    /// A `/mentor suggest` button: `for_user` was shown `other`.
    Suggested {
        guild: GuildId,
        for_user: UserId,
        other: UserId,
        kind: Kind,
        direction: Direction,
    },
    /// A page of the matching questions (issue 13), shown to `for_user`; `open` when the
    /// profile's button opens them as a message of their own.
    Questions {
        guild: GuildId,
        for_user: UserId,
        page: u32,
        open: bool,
    },
    /// The midpoint's "Is this mentorship working for you?" (issue 13).
    Fit {
        guild: GuildId,
        rel: RelationshipId,
        fit: Fit,
    },
    /// The retrospective's rating or "would join again".
    Rate {
        guild: GuildId,
        rel: RelationshipId,
        answer: EvaluationAnswer,
    },
    /// "Find me another" after an ending: opens the purpose form.
    FindAnother {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// The confirmation of an ending, with its reason.
    EndConfirm {
        guild: GuildId,
        rel: RelationshipId,
        reason: EndReason,
    },
    /// "Keep it" on the confirmation of an ending: nothing changes.
    EndCancel {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// Leave a peer group that goes on without the presser.
    Leave {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// "Celebrate it in the program channel?" after the retrospective: yes or no.
    Celebrate {
        guild: GuildId,
        rel: RelationshipId,
        yes: bool,
    },
}

impl Press {
    pub fn guild(&self) -> GuildId {
        match *self {
            Press::Accept { guild, .. }
            | Press::Decline { guild, .. }
            | Press::Confirm { guild, .. }
            | Press::Retro { guild, .. }
            | Press::Reflect { guild, .. }
            | Press::Skip { guild, .. }
            | Press::Met { guild, .. }
            | Press::NotMet { guild, .. }
            | Press::Reschedule { guild, .. }
            | Press::ChangeFrequency { guild, .. }
            | Press::SuggestChange { guild, .. }
            | Press::Pause { guild, .. }
            | Press::End { guild, .. }
            | Press::Resume { guild, .. }
            | Press::Forget { guild, .. }
            | Press::Suggested { guild, .. }
            | Press::Questions { guild, .. }
            | Press::Fit { guild, .. }
            | Press::Rate { guild, .. }
            | Press::FindAnother { guild, .. }
            | Press::EndConfirm { guild, .. }
            | Press::EndCancel { guild, .. }
            | Press::Leave { guild, .. }
            | Press::Celebrate { guild, .. } => guild,
        }
    }
}

/// What a button did, for the Discord layer to tell.
#[derive(Debug, Clone)]
pub enum Pressed {
    Answered {
        before: State,
        rel: Relationship,
        accepted: bool,
    },
    Confirmed {
        before: State,
        rel: Relationship,
        version: u32,
    },
    RetroForm {
        guild: GuildId,
        rel: RelationshipId,
        /// It ended as not a fit: the form asks nothing about celebrating.
        not_a_fit: bool,
    },
    ReflectForm {
        guild: GuildId,
        rel: RelationshipId,
        checkin: Option<CheckinId>,
        role: Role,
    },
    Skipped {
        rel: Relationship,
        checkin: Checkin,
    },
    /// Recorded as held; the reflection form opens.
    Met {
        rel: Relationship,
        checkin: Checkin,
        role: Role,
    },
    NotMet {
        rel: Relationship,
    },
    RescheduleForm {
        rel: Relationship,
        checkin: Checkin,
        timezone: Tz,
    },
    FrequencyForm {
        rel: Relationship,
        current: String,
    },
    ChangeForm(super::agreement_change::ChangeForm),
    Paused {
        rel: Relationship,
    },
    Ended {
        rel: Relationship,
    },
    /// The End button: what ending (or, in a group that goes on, leaving) would do, to confirm.
    EndAsk {
        rel: Relationship,
        leaves: bool,
    },
    EndCancelled {
        rel: RelationshipId,
    },
    /// The presser left a peer group; the others keep it.
    Left {
        rel: Relationship,
    },
    Celebration {
        rel: RelationshipId,
        yes: bool,
    },
    Resumed {
        rel: Relationship,
    },
    /// The person is forgotten; these relationships ended on the way.
    Forgotten {
        ended: Vec<Relationship>,
    },
    /// A suggestion became an invitation.
    Proposed {
        rel: Relationship,
        to: UserId,
    },
    /// A page of the matching questions to show.
    Questions(QuestionsPage),
    /// The member's fit check is saved (for them alone).
    FitAnswered {
        guild: GuildId,
        rel: RelationshipId,
        fit: Fit,
    },
    Rated {
        rel: RelationshipId,
        answer: EvaluationAnswer,
    },
    /// The purpose form of "Find me another", with what it re-opens.
    FindAnotherForm {
        guild: GuildId,
        rel: RelationshipId,
        listing: Reopened,
    },
}

/// A select menu, as its custom id says; the values picked come with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// A matching question's menu (issue 13), shown to `for_user` on page `page`.
    Answer {
        guild: GuildId,
        for_user: UserId,
        question: QuestionId,
        page: u32,
    },
}

/// What a select menu did.
#[derive(Debug, Clone)]
pub enum Selected {
    /// The answer is saved (or cleared); the page shows it.
    Answered(QuestionsPage),
}

/// A form, as its custom id says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// A slash command's form; its options wait in the draft under `key`.
    Draft {
        key: u64,
    },
    /// A reflection for the journal, about one check-in or none.
    Reflection {
        guild: GuildId,
        rel: RelationshipId,
        checkin: Option<CheckinId>,
    },
    Retro {
        guild: GuildId,
        rel: RelationshipId,
    },
    Reschedule {
        guild: GuildId,
        rel: RelationshipId,
        checkin: CheckinId,
    },
    Frequency {
        guild: GuildId,
        rel: RelationshipId,
    },
    FindAnother {
        guild: GuildId,
        rel: RelationshipId,
    },
    /// The Suggest a change form.
    SuggestChange {
        guild: GuildId,
        rel: RelationshipId,
    },
}

/// What a form did.
#[derive(Debug, Clone)]
pub enum Submitted {
    Offer {
        offer: Offer,
        /// The "may be suggested" answer, when given: `Some(false)` for yes without a profile.
        suggestable: Option<(bool, bool)>,
    },
    Request {
        request: Request,
        suggestable: Option<(bool, bool)>,
        /// An ending had closed it; this form opened it again.
        reopened: bool,
    },
    Invited {
        rel: Relationship,
        to: Option<UserId>,
    },
    Agreement {
        rel: Relationship,
        version: u32,
    },
    Journal(JournalEntry),
    /// The retrospective is saved; with `ask_celebration`, the Yes / No question follows.
    Retro {
        guild: GuildId,
        rel: RelationshipId,
        ask_celebration: bool,
    },
    Rescheduled(Moved),
    Frequency {
        rel: Relationship,
        version: u32,
    },
    /// The request or offer is open again; the suggestions for it, or why there are none.
    FoundAnother {
        listing: Reopened,
        suggestions: std::result::Result<(SuggestFor, Vec<Suggestion>), String>,
    },
}

/// How long a `/mentor suggest` list's buttons work.
pub const SUGGESTIONS_VALID_HOURS: i64 = 24;

fn not_for_you() -> Error {
    Error::Forbidden(NOT_FOR_YOU)
}

impl Engine {
    /// A button: who pressed it is checked first, then everything its custom id carries.
    pub async fn press(&self, presser: Presser, press: Press) -> Result<Pressed> {
        self.require_presser(press.guild(), presser).await?;
        let user = presser.user;
        Ok(match press {
            Press::Accept { guild, rel } | Press::Decline { guild, rel } => {
                let before = self.relationship_for(guild, rel, user).await?.state;
                let accepted = matches!(press, Press::Accept { .. });
                let rel = if accepted {
                    self.accept(guild, rel, user).await?
                } else {
                    // Whoever declines sees no agreement the others may have written meanwhile.
                    self.decline(guild, rel, user).await?.seen_by(user)
                };
                Pressed::Answered { before, rel, accepted }
            }
            Press::Confirm { guild, rel, version } => {
                let before = self.relationship_for(guild, rel, user).await?.state;
                let rel = self.confirm_agreement(guild, rel, user, version).await?;
                Pressed::Confirmed { before, rel, version }
            }
            Press::Retro { guild, rel } => {
                let r = self.joined_relationship(guild, rel, user).await?;
                if r.state != State::Ended {
                    return Err(ValidationError::new("mentorship", "it has not ended yet").into());
                }
                if self.my_retrospective(guild, rel, user).await?.is_some() {
                    return Err(ValidationError::new(
                        "retrospective",
                        "you already wrote yours for this mentorship. Thank you",
                    )
                    .into());
                }
                Pressed::RetroForm {
                    guild,
                    rel,
                    not_a_fit: r.end_reason == Some(EndReason::NotAFit),
                }
            }
            Press::Reflect { guild, rel, checkin } => {
                let r = self.joined_relationship(guild, rel, user).await?;
                let role = r.require_joined(user)?.role;
                if let Some(c) = checkin {
                    self.checkin_of(guild, rel, c).await?;
                }
                Pressed::ReflectForm {
                    guild,
                    rel,
                    checkin,
                    role,
                }
            }
            Press::Skip { guild, rel, checkin } => {
                let (rel, checkin) = self.skip_checkin(guild, rel, checkin, user).await?;
                Pressed::Skipped { rel, checkin }
            }
            Press::Met { guild, rel, checkin } => {
                let (rel, checkin) = self
                    .answer_meeting(guild, rel, checkin, user, MeetingAnswer::Met)
                    .await?;
                let role = rel.require_joined(user)?.role;
                Pressed::Met { rel, checkin, role }
            }
            Press::NotMet { guild, rel, checkin } => {
                let (rel, _) = self
                    .answer_meeting(guild, rel, checkin, user, MeetingAnswer::NotThisTime)
                    .await?;
                Pressed::NotMet { rel }
            }
            Press::Reschedule { guild, rel, checkin } => {
                let r = self.joined_relationship(guild, rel, user).await?;
                let agreed = r
                    .agreement_in_force()
                    .map(|a| a.terms.timezone)
                    .ok_or_else(|| Error::from(ValidationError::new("mentorship", "it has no agreement in force")))?;
                let timezone = self.own_zone(guild, user, agreed).await?;
                let checkin = self.checkin_of(guild, rel, checkin).await?;
                Pressed::RescheduleForm {
                    rel: r,
                    checkin,
                    timezone,
                }
            }
            Press::ChangeFrequency { guild, rel } => {
                let r = self.joined_relationship(guild, rel, user).await?;
                r.require_agreement_writable(user)?;
                let current = r
                    .agreement_in_force()
                    .map(|a| a.terms.frequency.to_string())
                    .unwrap_or_default();
                Pressed::FrequencyForm { rel: r, current }
            }
            Press::SuggestChange { guild, rel } => Pressed::ChangeForm(self.change_form(guild, rel, user).await?),
            Press::Pause { guild, rel } => Pressed::Paused {
                rel: self.pause(guild, rel, user).await?,
            },
            Press::Resume { guild, rel } => Pressed::Resumed {
                rel: self.resume(guild, rel, user).await?,
            },
            Press::End { guild, rel } => {
                let (rel, leaves) = self.end_preview(guild, rel, user).await?;
                Pressed::EndAsk {
                    rel: rel.seen_by(user),
                    leaves,
                }
            }
            Press::EndConfirm { guild, rel, reason } => Pressed::Ended {
                rel: self.end(guild, rel, user, reason).await?,
            },
            Press::EndCancel { guild, rel } => {
                self.relationship_for(guild, rel, user).await?;
                Pressed::EndCancelled { rel }
            }
            // No longer a member: they see no agreement the others keep writing.
            Press::Leave { guild, rel } => Pressed::Left {
                rel: self.leave_group(guild, rel, user).await?.seen_by(user),
            },
            Press::Celebrate { guild, rel, yes } => {
                self.answer_celebration(guild, rel, user, yes).await?;
                Pressed::Celebration { rel, yes }
            }
            Press::Forget { guild, user: whom } => {
                // The button carries whose data it deletes: only that person may confirm.
                if whom != user {
                    return Err(not_for_you());
                }
                // The others hear only that a member left: no agreement's words travel with the
                // news (nor to an invitee who never joined one).
                let ended = self
                    .forget(guild, user)
                    .await?
                    .into_iter()
                    .map(|mut rel| {
                        rel.agreements.clear();
                        rel
                    })
                    .collect();
                Pressed::Forgotten { ended }
            }
            Press::Suggested {
                guild,
                for_user,
                other,
                kind,
                direction,
            } => {
                if for_user != user {
                    return Err(not_for_you());
                }
                let rel = self.propose_suggested(guild, user, other, kind, direction).await?;
                Pressed::Proposed { rel, to: other }
            }
            Press::Questions {
                guild,
                for_user,
                page,
                open,
            } => {
                // Only the member they were shown to sees (and answers) the questions.
                if for_user != user {
                    return Err(not_for_you());
                }
                Pressed::Questions(self.questions_page(guild, user, page, open, None).await?)
            }
            Press::Fit { guild, rel, fit } => {
                self.answer_fit(guild, rel, user, fit).await?;
                Pressed::FitAnswered { guild, rel, fit }
            }
            Press::Rate { guild, rel, answer } => {
                self.rate(guild, rel, user, answer).await?;
                Pressed::Rated { rel, answer }
            }
            Press::FindAnother { guild, rel } => Pressed::FindAnotherForm {
                guild,
                rel,
                listing: self.another_for(guild, rel, user).await?,
            },
        })
    }

    /// A select menu: who picked is checked first, then everything its custom id carries, then
    /// the values (only the menu's own choices count).
    pub async fn select(&self, presser: Presser, select: Select, values: &[String]) -> Result<Selected> {
        let user = presser.user;
        Ok(match select {
            Select::Answer {
                guild,
                for_user,
                question,
                page,
            } => {
                self.require_presser(guild, presser).await?;
                if for_user != user {
                    return Err(not_for_you());
                }
                let (q, picked) = self.answer_question(guild, user, question, values).await?;
                let note = if picked.is_empty() {
                    format!("Cleared your answer to \"{}\".", q.text)
                } else {
                    let labels: Vec<&str> = picked.iter().map(|&k| q.choices[k].as_str()).collect();
                    format!("Saved your answer to \"{}\": {}.", q.text, labels.join("; "))
                };
                Selected::Answered(self.questions_page(guild, user, page, false, Some(note)).await?)
            }
        })
    }

    /// A check-in of this relationship (of this server), or not found.
    async fn checkin_of(&self, guild: GuildId, rel: RelationshipId, id: CheckinId) -> Result<Checkin> {
        self.store
            .checkin(guild, id)
            .await?
            .filter(|c| c.relationship == rel)
            .ok_or(Error::NotFound("check-in"))
    }

    /// A form: its sender is checked first, then everything its custom id carries, then the
    /// fields (by their custom ids; missing ones are empty).
    pub async fn submit(
        &self,
        presser: Presser,
        submit: Submit,
        fields: &HashMap<String, String>,
    ) -> Result<Submitted> {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let user = presser.user;
        Ok(match submit {
            Submit::Draft { key } => {
                if presser.bot {
                    return Err(not_for_you());
                }
                // Anyone else's draft is not there for this person: nothing of it is touched.
                let Some((guild, draft)) = self.own_draft(key, user).await? else {
                    return Err(Error::Forbidden(
                        "this form has expired or is not yours; please run the command again",
                    ));
                };
                self.require_presser(guild, presser).await?;
                let done = self.submit_draft(guild, user, draft, &field).await?;
                self.store.delete_draft(key, user).await?;
                done
            }
            Submit::Reflection { guild, rel, checkin } => {
                self.require_presser(guild, presser).await?;
                let r = self.joined_relationship(guild, rel, user).await?;
                let role = r.require_joined(user)?.role;
                let answers: Vec<(String, String)> = reflection_questions(role)
                    .iter()
                    .enumerate()
                    .map(|(i, q)| (q.to_string(), field(&format!("q{i}"))))
                    .collect();
                Submitted::Journal(self.write_journal(guild, rel, user, checkin, &answers).await?)
            }
            Submit::Retro { guild, rel } => {
                self.require_presser(guild, presser).await?;
                // Consent to a public celebration is asked with buttons afterwards, never guessed
                // from free text (issue 16, item 13).
                let input = RetrospectiveInput {
                    learned: field("learned"),
                    differently: Some(field("differently")),
                    celebrate: Some(field("celebrate")),
                    celebrate_publicly: false,
                };
                self.write_retrospective(guild, rel, user, &input).await?;
                // Not a fit is not celebrated: the question is not asked.
                let ended = self.joined_relationship(guild, rel, user).await?;
                // Nor of someone who muted celebrations (`/mentor notifications`).
                let wants = self
                    .notification_prefs(guild, user)
                    .await?
                    .wants(crate::domain::preferences::Muted::Celebrations);
                Submitted::Retro {
                    guild,
                    rel,
                    ask_celebration: wants && ended.end_reason != Some(EndReason::NotAFit),
                }
            }
            Submit::Reschedule { guild, rel, checkin } => {
                self.require_presser(guild, presser).await?;
                Submitted::Rescheduled(
                    self.reschedule_checkin(guild, rel, checkin, user, &field("date"), &field("time"))
                        .await?,
                )
            }
            Submit::Frequency { guild, rel } => {
                self.require_presser(guild, presser).await?;
                let (rel, version) = self.propose_frequency(guild, rel, user, &field("frequency")).await?;
                Submitted::Frequency { rel, version }
            }
            Submit::SuggestChange { guild, rel } => {
                self.require_presser(guild, presser).await?;
                let (rel, version) = self.suggest_change(guild, rel, user, &field).await?;
                Submitted::Agreement { rel, version }
            }
            Submit::FindAnother { guild, rel } => {
                self.require_presser(guild, presser).await?;
                let listing = self.find_another(guild, rel, user, &field("purpose")).await?;
                // No suggestion is no failure: the request is open for matching all the same.
                let suggestions = match self.suggest(guild, user).await {
                    Ok(found) => Ok(found),
                    Err(e) if e.is_user_error() => Err(e.user_message()),
                    Err(e) => return Err(e),
                };
                Submitted::FoundAnother { listing, suggestions }
            }
        })
    }

    async fn submit_draft(
        &self,
        guild: GuildId,
        user: UserId,
        draft: Draft,
        field: &(dyn Fn(&str) -> String + Sync),
    ) -> Result<Submitted> {
        Ok(match draft {
            Draft::Offer { mut input, suggestable } => {
                input.purpose = field("purpose");
                let offer = self.create_offer(guild, user, &input).await?;
                let suggestable = self.answer_suggestable(guild, user, suggestable).await?;
                Submitted::Offer { offer, suggestable }
            }
            Draft::Seek {
                mut input,
                suggestable,
                wish,
                reopen,
            } => {
                input.purpose = field("purpose");
                let request = match reopen {
                    Some(id) => {
                        let q = self.reopen_request(guild, user, id, &input).await?;
                        self.store.set_request_wish(guild, q.id, wish).await?;
                        q
                    }
                    None => self.create_request_with_wish(guild, user, &input, wish).await?,
                };
                let suggestable = self.answer_suggestable(guild, user, suggestable).await?;
                Submitted::Request {
                    reopened: reopen == Some(request.id),
                    request,
                    suggestable,
                }
            }
            Draft::Direct { to, kind, direction } => {
                let rel = self
                    .propose_direct(guild, user, to, kind, direction, &field("purpose"))
                    .await?;
                Submitted::Invited { rel, to: Some(to) }
            }
            Draft::Peer { invitees } => {
                let rel = self
                    .invite_peer_group(guild, user, &invitees, &field("purpose"))
                    .await?;
                Submitted::Invited { rel, to: None }
            }
            Draft::Agreement { rel, mut input } => {
                input.expectations = field("expectations");
                input.issue_handling = field("issue_handling");
                let (rel, version) = self.propose_agreement(guild, rel, user, &input).await?;
                Submitted::Agreement { rel, version }
            }
        })
    }

    /// Applies a "may be suggested" answer: (the answer, whether a profile took it).
    async fn answer_suggestable(
        &self,
        guild: GuildId,
        user: UserId,
        answer: Option<bool>,
    ) -> Result<Option<(bool, bool)>> {
        match answer {
            Some(on) => Ok(Some((on, self.store.set_suggestable(guild, user, on).await?))),
            None => Ok(None),
        }
    }
}
