//! The organisers' hands on single mentorships (issue 17): look at one (members, phase, last
//! check-in, health; never anyone's words), pause, resume or end it, nudge its members, pair two
//! people by hand and cancel a proposal nobody answered. Every change is written to the
//! organisers' log (who did what, when), which names people by id only.
use chrono::{DateTime, Utc};

use super::organisers::{health, Health};
use super::{Engine, Error, Result};
use crate::domain::checkin::CheckinStatus;
use crate::domain::ids::*;
use crate::domain::listing::Kind;
use crate::domain::relationship::{EndReason, MemberStatus, Origin, Relationship, Role, State};
use crate::matching::reasons::pair_reasons;
use crate::matching::score_pair;
use crate::store::organisers::LogEntry;

/// What an organiser did to one mentorship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandAction {
    Pause,
    Resume,
    End,
    Nudge,
    Pair,
    Unplace,
    /// `/program import` applied (no mentorship).
    Import,
}

impl HandAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HandAction::Pause => "pause",
            HandAction::Resume => "resume",
            HandAction::End => "end",
            HandAction::Nudge => "nudge",
            HandAction::Pair => "pair",
            HandAction::Unplace => "unplace",
            HandAction::Import => "import",
        }
    }
}

/// Who is asking, as Discord told us: checked against the program's coordinators here.
#[derive(Debug, Clone, Copy)]
pub struct Organiser<'a> {
    pub user: UserId,
    pub is_admin: bool,
    pub roles: &'a [u64],
}

/// One mentorship as an organiser sees it: no purpose, notes, agreement words or journal.
#[derive(Debug, Clone, PartialEq)]
pub struct MentorshipView {
    pub id: RelationshipId,
    /// The number people see (see [`Relationship::number`]).
    pub number: i64,
    pub kind: Kind,
    pub origin: Origin,
    pub state: State,
    pub members: Vec<(UserId, Role, MemberStatus)>,
    pub created_at: DateTime<Utc>,
    /// When an unanswered proposal lapses.
    pub expires_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The last check-in somebody reported, with its status.
    pub last_checkin: Option<(DateTime<Utc>, CheckinStatus)>,
    /// The next planned check-in.
    pub next_checkin: Option<DateTime<Utc>>,
    pub health: Option<Health>,
    /// What organisers did to it, oldest first.
    pub log: Vec<LogEntry>,
}

/// A pair proposed by hand, with the reasons the proposal DMs give.
#[derive(Debug, Clone)]
pub struct HandPair {
    pub rel: Relationship,
    pub reasons: Vec<String>,
}

/// The answer for a mentorship of another server or none at all: the same, so numbers cannot be
/// probed.
fn no_such(number: i64) -> Error {
    Error::Limit(format!(
        "this server has no mentorship #{number}; the option lists them by member name"
    ))
}

fn limit(text: String) -> Error {
    Error::Limit(text)
}

impl Engine {
    pub(super) async fn require_hands(&self, guild: GuildId, who: Organiser<'_>) -> Result<()> {
        self.require_organiser(
            guild,
            who.is_admin,
            who.roles,
            "only server admins and the program's coordinators can act on the program's mentorships",
        )
        .await
    }

    /// The server's mentorship with this number (the one organisers see and type): numbers
    /// count within each server, so another server's mentorship cannot be reached.
    async fn load_for_organiser(&self, guild: GuildId, number: i64) -> Result<Relationship> {
        self.store
            .relationship_numbered(guild, number)
            .await?
            .ok_or_else(|| no_such(number))
    }

    async fn log_hand(&self, guild: GuildId, who: UserId, action: HandAction, rel: &Relationship) -> Result<()> {
        let entry = LogEntry {
            guild,
            at: self.now(),
            actor: who,
            action: action.as_str().to_string(),
            relationship: Some(rel.id),
            mentor: rel.mentor().or_else(|| rel.members.first().map(|m| m.user)),
            mentee: rel.mentee().or_else(|| rel.members.get(1).map(|m| m.user)),
        };
        self.store.log_organiser_action(&entry).await?;
        Ok(())
    }

    /// Whether the caller may use the organisers' hands (for autocompletion, which must not
    /// show members' names to anyone else).
    pub async fn may_use_hands(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<bool> {
        self.is_organiser(guild, is_admin, roles).await
    }

    /// The server's mentorships for autocompletion, newest first (organisers only).
    pub async fn mentorships_for_organisers(&self, guild: GuildId, who: Organiser<'_>) -> Result<Vec<Relationship>> {
        self.require_hands(guild, who).await?;
        let mut rels = self.store.relationships_in(guild).await?;
        rels.reverse();
        Ok(rels)
    }

    /// `/program mentorship view`.
    pub async fn view_mentorship(&self, guild: GuildId, who: Organiser<'_>, number: i64) -> Result<MentorshipView> {
        self.require_hands(guild, who).await?;
        let rel = self.load_for_organiser(guild, number).await?;
        let checkins = self.store.checkins(guild, rel.id).await?;
        let now = self.now();
        let last_checkin = checkins
            .iter()
            .filter(|c| c.status != CheckinStatus::Planned && c.status != CheckinStatus::Rescheduled)
            .max_by_key(|c| c.scheduled_at)
            .map(|c| (c.scheduled_at, c.status));
        let next_checkin = checkins
            .iter()
            .filter(|c| c.status == CheckinStatus::Planned && c.scheduled_at > now)
            .map(|c| c.scheduled_at)
            .min();
        Ok(MentorshipView {
            id: rel.id,
            number: rel.number,
            kind: rel.kind,
            origin: rel.origin,
            state: rel.state,
            members: rel.members.iter().map(|m| (m.user, m.role, m.status)).collect(),
            created_at: rel.created_at,
            expires_at: (rel.state == State::Proposed).then_some(rel.expires_at),
            ended_at: rel.ended_at,
            last_checkin,
            next_checkin,
            health: (rel.state == State::Active).then(|| health(&rel, &checkins, now)),
            log: self.store.organiser_log(guild, Some(rel.id)).await?,
        })
    }

    /// Pauses, resumes or ends a mentorship underway on the organisers' behalf; logged.
    pub async fn organiser_change(
        &self,
        guild: GuildId,
        who: Organiser<'_>,
        number: i64,
        action: HandAction,
    ) -> Result<Relationship> {
        self.require_hands(guild, who).await?;
        let mut rel = self.load_for_organiser(guild, number).await?;
        let before = rel.state;
        let now = self.now();
        match action {
            HandAction::Pause => rel.pause(None, now)?,
            HandAction::Resume => rel.resume_by_organiser(now)?,
            HandAction::End => {
                rel.end(None, EndReason::Other, now)?;
                rel.ended_by = Some(who.user);
            }
            _ => return Err(Error::Forbidden("that is not a change of a mentorship")),
        }
        if before != rel.state || rel.state == State::Active {
            self.save_and_replan(&mut rel).await?;
        } else {
            self.store.save_relationship(&mut rel, None).await?;
        }
        if before != State::Ended && rel.state == State::Ended {
            self.close_request_of(&rel).await?;
        }
        self.log_hand(guild, who.user, action, &rel).await?;
        Ok(rel)
    }

    /// A nudge: who should hear it (members who have not answered a proposal, or the joined
    /// members of a mentorship underway); logged. Ended, declined and lapsed ones get none.
    pub async fn nudge(&self, guild: GuildId, who: Organiser<'_>, number: i64) -> Result<(Relationship, Vec<UserId>)> {
        self.require_hands(guild, who).await?;
        let rel = self.load_for_organiser(guild, number).await?;
        let to: Vec<UserId> = match rel.state {
            State::Proposed => rel
                .members
                .iter()
                .filter(|m| m.status == MemberStatus::Invited)
                .map(|m| m.user)
                .collect(),
            s if s.is_underway() => rel.joined().map(|m| m.user).collect(),
            s => {
                return Err(limit(format!(
                    "mentorship #{} is {s}: there is nobody to nudge",
                    rel.number
                )))
            }
        };
        self.log_hand(guild, who.user, HandAction::Nudge, &rel).await?;
        Ok((rel, to))
    }

    /// `/program unplace`: withdraws a proposal not yet accepted by everyone; it lapses at once
    /// and its buttons stop working. Logged.
    pub async fn unplace(&self, guild: GuildId, who: Organiser<'_>, number: i64) -> Result<Relationship> {
        self.require_hands(guild, who).await?;
        let mut rel = self.load_for_organiser(guild, number).await?;
        if rel.origin != Origin::ProgramMatch {
            return Err(limit(format!(
                "mentorship #{} is a member's own invitation, not one of the program's proposals; it is theirs to \
                 answer",
                rel.number
            )));
        }
        if rel.state != State::Proposed {
            return Err(limit(format!(
                "mentorship #{} is {}: only a proposal still waiting for an answer can be withdrawn",
                rel.number, rel.state
            )));
        }
        rel.state = State::Expired;
        rel.updated_at = self.now();
        self.store.save_relationship(&mut rel, None).await?;
        self.log_hand(guild, who.user, HandAction::Unplace, &rel).await?;
        Ok(rel)
    }

    /// `/program pair`: the organisers propose a mentor and a mentee by hand. Every rule of a
    /// published match holds: both are in the server with a profile and not paused; the mentee
    /// has an open request of the kind and no proposal waiting; the mentor an open offer of the
    /// kind with a free place (places promised in unanswered proposals count as taken); the two
    /// were never paired before. Like a published match it counts against no member's limit.
    pub async fn pair_by_hand(
        &self,
        guild: GuildId,
        who: Organiser<'_>,
        mentee: UserId,
        mentor: UserId,
        kind: Option<Kind>,
    ) -> Result<HandPair> {
        self.require_hands(guild, who).await?;
        if mentee == mentor {
            return Err(limit("the mentor and the mentee must be two people".into()));
        }
        let now = self.now();
        for (u, what) in [(mentee, "mentee"), (mentor, "mentor")] {
            match self.store.guild_member(guild, u).await? {
                Some(m) if m.bot => return Err(limit(format!("the {what} <@{}> is a bot", u.0))),
                Some(_) => {}
                None => return Err(limit(format!("the {what} <@{}> is not a member of this server", u.0))),
            }
            match self.store.profile(guild, u).await? {
                None => {
                    return Err(limit(format!(
                        "the {what} <@{}> has no profile yet (their time zone is unknown); they can set one with \
                         /mentor profile",
                        u.0
                    )))
                }
                Some(p) if p.is_paused(now) => {
                    return Err(limit(format!(
                        "the {what} <@{}> is paused and takes no new invitations",
                        u.0
                    )))
                }
                Some(_) => {}
            }
        }
        let history = self.store.relationship_links(guild).await?;
        if let Some(before) = history
            .iter()
            .find(|r| r.members.iter().any(|m| m.0 == mentee) && r.members.iter().any(|m| m.0 == mentor))
        {
            return Err(limit(format!(
                "<@{}> and <@{}> were paired before (mentorship #{}); matching never pairs the same people twice",
                mentee.0, mentor.0, before.number
            )));
        }
        let file = self.program_file(guild, true).await?;
        let Some(i) = file.mentees.iter().position(|e| e.user == mentee) else {
            let waiting = history.iter().any(|r| {
                r.state == State::Proposed && r.members.iter().any(|m| m.0 == mentee && m.1 == MemberStatus::Invited)
            });
            return Err(limit(if waiting {
                format!(
                    "the mentee <@{}> has a proposal waiting for their answer; withdraw it with /program unplace first",
                    mentee.0
                )
            } else {
                format!(
                    "the mentee <@{}> has no open request for a mentor; they can ask with /mentor seek",
                    mentee.0
                )
            }));
        };
        let entry = &file.mentees[i];
        let kind = kind.unwrap_or(entry.kind);
        if !entry.request.kinds.contains(&kind) {
            return Err(limit(format!(
                "the mentee <@{}> did not ask for a {kind} mentorship",
                mentee.0
            )));
        }
        let Some(j) = file.mentors.iter().position(|m| m.user == mentor) else {
            return Err(limit(format!(
                "the mentor <@{}> has no open offer with a free place (places promised in proposals waiting for an \
                 answer count as taken)",
                mentor.0
            )));
        };
        let Some(offer) = file.mentors[j]
            .offers
            .iter()
            .find(|(o, left)| *left > 0 && o.kinds.contains(&kind))
            .map(|(o, _)| o.id)
        else {
            return Err(limit(format!(
                "the mentor <@{}> has no free place in an offer of the {kind} kind",
                mentor.0
            )));
        };
        let program = file.parse()?;
        let reasons = pair_reasons(&program, i, j, &score_pair(&program, i, j));
        let rel = self
            .propose_match(
                guild,
                who.user,
                mentor,
                mentee,
                kind,
                &entry.request.purpose,
                Some(offer),
                Some(entry.request.id),
            )
            .await?;
        self.log_hand(guild, who.user, HandAction::Pair, &rel).await?;
        Ok(HandPair { rel, reasons })
    }
}
