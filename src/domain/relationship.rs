//! A mentoring relationship and its life cycle:
//! `proposed → accepted | declined | expired → agreeing → active ⇄ paused → ended`.
//! Every transition names who makes it and refuses anyone else with a typed error.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::agreement::{Agreement, AgreementTerms};
use super::ids::{GuildId, OfferId, RelationshipId, RequestId, UserId};
use super::listing::Kind;
use super::validate::{self, ValidationError, MAX_LONG_TEXT};

pub const PEER_GROUP_MIN: usize = 3;
pub const PEER_GROUP_MAX: usize = 8;
/// The most live mentorships (proposed to paused) one member may be in at once. Listings page
/// through them; the cap keeps a person's schedule (and the bot's pages) humane.
pub const MAX_LIVE_PER_MEMBER: usize = 20;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Where a relationship is in its life cycle.
    State {
        Proposed => "proposed",
        Accepted => "accepted",
        Declined => "declined",
        Expired => "expired",
        Agreeing => "agreeing",
        Active => "active",
        Paused => "paused",
        Ended => "ended",
    }
);

impl State {
    /// Live relationships block a second one of the same kind between the same people.
    pub const LIVE: [State; 5] = [
        State::Proposed,
        State::Accepted,
        State::Agreeing,
        State::Active,
        State::Paused,
    ];
    /// States in which a mentor's place is taken.
    pub const HOLDS_SEAT: [State; 4] = [State::Accepted, State::Agreeing, State::Active, State::Paused];

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// Accepted and not yet ended: the members work together.
    pub fn is_underway(self) -> bool {
        Self::HOLDS_SEAT.contains(&self)
    }
}

string_enum!(
    /// How a relationship began.
    Origin {
        DirectRequest => "direct_request",
        DirectOffer => "direct_offer",
        ProgramMatch => "program_match",
        PeerInvite => "peer_invite",
    }
);

string_enum!(
    Role {
        Mentor => "mentor",
        Mentee => "mentee",
        Peer => "peer",
    }
);

string_enum!(
    /// A member's answer to the invitation.
    MemberStatus {
        Invited => "invited",
        Joined => "joined",
        Declined => "declined",
    }
);

string_enum!(
    /// How a relationship ended.
    EndReason {
        GoalsMet => "goals_met",
        NotAFit => "not_a_fit",
        PlannedEnd => "planned_end",
        LeftServer => "left_server",
        Other => "other",
    }
);

impl std::str::FromStr for EndReason {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::parse(&norm).ok_or_else(|| {
            ValidationError::new(
                "reason",
                format!(
                    "\"{}\" is not a way to end; choose goals met, not a fit, planned end, left server or other",
                    s.trim()
                ),
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: UserId,
    pub role: Role,
    pub status: MemberStatus,
    pub responded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelationshipError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("you are not a member of this mentorship")]
    NotMember,
    #[error("only the person who was invited can answer this invitation")]
    NotInvited,
    #[error("you already answered this invitation")]
    AlreadyAnswered,
    #[error("you cannot {action} a mentorship that is {state}")]
    WrongState { action: &'static str, state: State },
    #[error("you cannot be paired with yourself")]
    SelfPairing,
    #[error("the same person is named twice")]
    DuplicateMember,
    #[error("a peer group has {min} to {max} members; this one would have {got}")]
    GroupSize { min: usize, max: usize, got: usize },
    #[error("a mentorship of one mentor and one mentee is needed for the {0} kind")]
    PairShape(Kind),
    #[error("the mentor has no free place for another mentee right now")]
    CapacityFull,
    #[error("there is already a live {kind} mentorship between these people")]
    AlreadyLive { kind: Kind },
    #[error("version {given} of the agreement has been replaced; confirm version {latest}")]
    StaleAgreement { given: u32, latest: u32 },
    #[error("there is no agreement to confirm yet")]
    NoAgreement,
    #[error("you already confirmed version {0} of the agreement")]
    AlreadyConfirmed(u32),
    #[error("the proposal has not expired yet")]
    NotDue,
    #[error(
        "you already have {0} live mentorships, the most the bot allows; end one with /mentorship end (or decline an \
         invitation) first"
    )]
    TooManyOwn(usize),
    #[error("someone you named already has {0} live mentorships, the most the bot allows")]
    TooManyOther(usize),
    #[error("only the person who sent this invitation can withdraw it")]
    NotProposer,
    #[error("the sender withdrew this invitation, so there is nothing to answer now")]
    Withdrawn,
}

use RelationshipError as E;

/// Whether the mentor still has a free place, as counted by the caller when it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seats {
    /// The relationship is not tied to an offer with a capacity.
    Unlimited,
    Free,
    Full,
}

/// What a listing knows beyond the relationship itself, for its next step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextContext {
    /// The viewer wrote their retrospective (after the end).
    pub retro_written: bool,
    /// The action plan has a goal.
    pub has_goals: bool,
    /// The next planned meeting, while active.
    pub next_meeting: Option<DateTime<Utc>>,
    /// A meeting was held already (the next one is then not the first).
    pub met_once: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    /// The database id: counts across every server, so people never see it.
    pub id: RelationshipId,
    /// The number people see and type: counts from 1 within the server, never reused (0 until
    /// the store inserts it).
    #[serde(default)]
    pub number: i64,
    pub guild: GuildId,
    pub kind: Kind,
    pub origin: Origin,
    pub purpose: String,
    pub state: State,
    /// Who started it: a member, or for a program match the organiser.
    pub proposer: UserId,
    pub members: Vec<Member>,
    pub offer: Option<OfferId>,
    pub request: Option<RequestId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<EndReason>,
    pub ended_by: Option<UserId>,
    /// Every version of the agreement, oldest first.
    pub agreements: Vec<Agreement>,
    /// Bumped on every save; a save from an older copy is refused.
    pub revision: i64,
}

/// What is needed to propose a relationship.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub guild: GuildId,
    pub proposer: UserId,
    pub kind: Kind,
    pub origin: Origin,
    pub purpose: String,
    pub members: Vec<(UserId, Role)>,
    pub offer: Option<OfferId>,
    pub request: Option<RequestId>,
}

impl Relationship {
    pub fn propose(p: Proposal, now: DateTime<Utc>, expires_after: Duration) -> Result<Relationship, E> {
        let purpose = validate::required_text("purpose", &p.purpose, MAX_LONG_TEXT)?;
        let mut seen = Vec::new();
        for (user, _) in &p.members {
            if seen.contains(user) {
                return Err(if p.members.len() == 2 {
                    E::SelfPairing
                } else {
                    E::DuplicateMember
                });
            }
            seen.push(*user);
        }
        match p.kind {
            Kind::Classic | Kind::Reverse => {
                let roles: Vec<Role> = p.members.iter().map(|m| m.1).collect();
                if roles.len() != 2 || !roles.contains(&Role::Mentor) || !roles.contains(&Role::Mentee) {
                    return Err(E::PairShape(p.kind));
                }
            }
            Kind::Peer => {
                let got = p.members.len();
                if !(PEER_GROUP_MIN..=PEER_GROUP_MAX).contains(&got) {
                    return Err(E::GroupSize {
                        min: PEER_GROUP_MIN,
                        max: PEER_GROUP_MAX,
                        got,
                    });
                }
                if p.members.iter().any(|m| m.1 != Role::Peer) {
                    return Err(E::PairShape(p.kind));
                }
            }
        }
        let proposer_is_member = seen.contains(&p.proposer);
        if p.origin != Origin::ProgramMatch && !proposer_is_member {
            return Err(E::NotMember);
        }
        let members = p
            .members
            .iter()
            .map(|&(user, role)| {
                let joined = user == p.proposer;
                Member {
                    user,
                    role,
                    status: if joined {
                        MemberStatus::Joined
                    } else {
                        MemberStatus::Invited
                    },
                    responded_at: joined.then_some(now),
                }
            })
            .collect();
        Ok(Relationship {
            id: RelationshipId(0),
            number: 0,
            guild: p.guild,
            kind: p.kind,
            origin: p.origin,
            purpose,
            state: State::Proposed,
            proposer: p.proposer,
            members,
            offer: p.offer,
            request: p.request,
            created_at: now,
            expires_at: now + expires_after,
            updated_at: now,
            ended_at: None,
            end_reason: None,
            ended_by: None,
            agreements: Vec::new(),
            revision: 0,
        })
    }

    pub fn member(&self, user: UserId) -> Option<&Member> {
        self.members.iter().find(|m| m.user == user)
    }

    /// Members who said yes (or proposed): the people who work together.
    pub fn joined(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.status == MemberStatus::Joined)
    }

    pub fn is_joined(&self, user: UserId) -> bool {
        self.member(user).is_some_and(|m| m.status == MemberStatus::Joined)
    }

    pub fn mentor(&self) -> Option<UserId> {
        self.members.iter().find(|m| m.role == Role::Mentor).map(|m| m.user)
    }

    pub fn mentee(&self) -> Option<UserId> {
        self.members.iter().find(|m| m.role == Role::Mentee).map(|m| m.user)
    }

    /// The two people of a pair, lowest id first; `None` for a peer group.
    pub fn pair_key(&self) -> Option<(UserId, UserId)> {
        if self.kind == Kind::Peer {
            return None;
        }
        let (a, b) = (self.members[0].user, self.members[1].user);
        Some((a.min(b), a.max(b)))
    }

    /// Refuses anyone who has not joined.
    pub fn require_joined(&self, actor: UserId) -> Result<&Member, E> {
        match self.member(actor) {
            Some(m) if m.status == MemberStatus::Joined => Ok(m),
            _ => Err(E::NotMember),
        }
    }

    fn require_state(&self, action: &'static str, allowed: &[State]) -> Result<(), E> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(E::WrongState {
                action,
                state: self.state,
            })
        }
    }

    fn invited_member_mut(&mut self, actor: UserId) -> Result<&mut Member, E> {
        let m = self.members.iter_mut().find(|m| m.user == actor).ok_or(E::NotInvited)?;
        match m.status {
            MemberStatus::Invited => Ok(m),
            _ => Err(E::AlreadyAnswered),
        }
    }

    /// Refuses a new relationship for `member` when they are in [`MAX_LIVE_PER_MEMBER`] live
    /// ones already (`existing` are their relationships).
    pub fn check_room_for<'a>(
        &self,
        member: UserId,
        existing: impl IntoIterator<Item = &'a Relationship>,
    ) -> Result<(), E> {
        let live = existing
            .into_iter()
            .filter(|r| r.id != self.id && r.state.is_live())
            .filter(|r| r.member(member).is_some_and(|m| m.status != MemberStatus::Declined))
            .count();
        if live < MAX_LIVE_PER_MEMBER {
            Ok(())
        } else if member == self.proposer {
            Err(E::TooManyOwn(MAX_LIVE_PER_MEMBER))
        } else {
            Err(E::TooManyOther(MAX_LIVE_PER_MEMBER))
        }
    }

    /// Refuses a new relationship that would repeat a live one between the same people.
    pub fn check_not_duplicate<'a>(&self, existing: impl IntoIterator<Item = &'a Relationship>) -> Result<(), E> {
        let mine: Vec<UserId> = self.members.iter().map(|m| m.user).collect();
        for other in existing {
            if other.id == self.id || other.kind != self.kind || !other.state.is_live() {
                continue;
            }
            let shared = other
                .members
                .iter()
                .filter(|m| m.status != MemberStatus::Declined && mine.contains(&m.user))
                .count();
            if shared >= 2 {
                return Err(E::AlreadyLive { kind: self.kind });
            }
        }
        Ok(())
    }

    /// The sender takes back an invitation that is still waiting for answers (issue 16, item 4):
    /// it will not go ahead, and everyone invited is told. A program's proposal is the organisers'
    /// to withdraw (`/program unplace`).
    pub fn withdraw(&mut self, actor: UserId, now: DateTime<Utc>) -> Result<(), E> {
        // An invitee is told to answer it instead; anyone else learns nothing of it.
        if self.member(actor).is_none() {
            return Err(E::NotMember);
        }
        if self.origin == Origin::ProgramMatch || actor != self.proposer {
            return Err(E::NotProposer);
        }
        self.require_joined(actor)?;
        self.require_state("withdraw", &[State::Proposed])?;
        let m = self
            .members
            .iter_mut()
            .find(|m| m.user == actor)
            .expect("checked above");
        m.status = MemberStatus::Declined;
        m.responded_at = Some(now);
        self.state = State::Declined;
        self.updated_at = now;
        Ok(())
    }

    /// Whether the sender withdrew it (see [`Self::withdraw`]).
    pub fn is_withdrawn(&self) -> bool {
        self.state == State::Declined
            && self.origin != Origin::ProgramMatch
            && self
                .member(self.proposer)
                .is_some_and(|m| m.status == MemberStatus::Declined)
    }

    /// The invited person says yes. A pair is accepted when both have joined; a peer group forms
    /// once three members have joined, and the others may still join until it starts.
    pub fn accept(&mut self, actor: UserId, seats: Seats, now: DateTime<Utc>) -> Result<(), E> {
        if self.is_withdrawn() {
            return Err(E::Withdrawn);
        }
        let late_join = self.kind == Kind::Peer && matches!(self.state, State::Accepted | State::Agreeing);
        if !late_join {
            self.require_state("accept", &[State::Proposed])?;
        }
        if self.state == State::Proposed && now >= self.expires_at {
            return Err(E::WrongState {
                action: "accept",
                state: State::Expired,
            });
        }
        self.invited_member_mut(actor)?;
        let becomes_accepted = {
            let joined_after = 1 + self.joined().count();
            match self.kind {
                Kind::Peer => joined_after >= PEER_GROUP_MIN,
                _ => joined_after == 2,
            }
        };
        if self.state == State::Proposed && becomes_accepted && seats == Seats::Full {
            return Err(E::CapacityFull);
        }
        let m = self
            .members
            .iter_mut()
            .find(|m| m.user == actor)
            .expect("checked above");
        m.status = MemberStatus::Joined;
        m.responded_at = Some(now);
        if self.state == State::Proposed && becomes_accepted {
            self.state = State::Accepted;
        }
        self.updated_at = now;
        Ok(())
    }

    /// The invited person says no. A pair is declined; a peer group that can no longer reach
    /// three members is declined as a whole.
    pub fn decline(&mut self, actor: UserId, now: DateTime<Utc>) -> Result<(), E> {
        if self.is_withdrawn() {
            return Err(E::Withdrawn);
        }
        let late = self.kind == Kind::Peer && matches!(self.state, State::Accepted | State::Agreeing);
        if !late {
            self.require_state("decline", &[State::Proposed])?;
        }
        let m = self.invited_member_mut(actor)?;
        m.status = MemberStatus::Declined;
        m.responded_at = Some(now);
        if self.state == State::Proposed {
            let possible = self
                .members
                .iter()
                .filter(|m| m.status != MemberStatus::Declined)
                .count();
            let needed = if self.kind == Kind::Peer { PEER_GROUP_MIN } else { 2 };
            if possible < needed {
                self.state = State::Declined;
            }
        }
        self.updated_at = now;
        Ok(())
    }

    /// A proposal nobody answered in time lapses.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<(), E> {
        self.require_state("expire", &[State::Proposed])?;
        if now < self.expires_at {
            return Err(E::NotDue);
        }
        self.state = State::Expired;
        self.updated_at = now;
        Ok(())
    }

    /// A member proposes the agreement (or an edit of it). The author's own confirmation is
    /// implied; everyone else must confirm this version.
    pub fn propose_agreement(&mut self, actor: UserId, terms: AgreementTerms, now: DateTime<Utc>) -> Result<u32, E> {
        self.require_agreement_writable(actor)?;
        let joined: Vec<UserId> = self.joined().map(|m| m.user).collect();
        let previous = self.agreements.last().map(|a| &a.terms);
        let terms = terms.carry_over_expectations(previous, &joined);
        let version = self.agreements.last().map_or(1, |a| a.version + 1);
        self.agreements.push(Agreement {
            version,
            author: actor,
            terms,
            confirmed_by: vec![actor],
            created_at: now,
        });
        if self.state == State::Accepted {
            self.state = State::Agreeing;
        }
        self.updated_at = now;
        self.activate_if_confirmed(now);
        Ok(version)
    }

    /// Whether the actor may write the agreement now; checked before the form is read.
    pub fn require_agreement_writable(&self, actor: UserId) -> Result<(), E> {
        self.require_joined(actor)?;
        self.require_state(
            "write an agreement for",
            &[State::Accepted, State::Agreeing, State::Active, State::Paused],
        )
    }

    /// A member confirms a version; when every member has confirmed the latest one, it is in force.
    pub fn confirm_agreement(&mut self, actor: UserId, version: u32, now: DateTime<Utc>) -> Result<(), E> {
        self.require_joined(actor)?;
        self.require_state(
            "confirm the agreement of",
            &[State::Agreeing, State::Active, State::Paused],
        )?;
        let latest = self.agreements.last_mut().ok_or(E::NoAgreement)?;
        if latest.version != version {
            return Err(E::StaleAgreement {
                given: version,
                latest: latest.version,
            });
        }
        if latest.confirmed_by.contains(&actor) {
            return Err(E::AlreadyConfirmed(version));
        }
        latest.confirmed_by.push(actor);
        self.updated_at = now;
        self.activate_if_confirmed(now);
        Ok(())
    }

    fn activate_if_confirmed(&mut self, now: DateTime<Utc>) {
        if self.state == State::Agreeing && self.agreement_in_force().is_some() {
            self.state = State::Active;
            self.updated_at = now;
        }
    }

    /// The newest version every joined member confirmed.
    pub fn agreement_in_force(&self) -> Option<&Agreement> {
        let joined: Vec<UserId> = self.joined().map(|m| m.user).collect();
        self.agreements
            .iter()
            .rev()
            .find(|a| joined.iter().all(|u| a.confirmed_by.contains(u)))
    }

    /// The newest version, confirmed or not.
    pub fn latest_agreement(&self) -> Option<&Agreement> {
        self.agreements.last()
    }

    pub fn pause(&mut self, actor: Option<UserId>, now: DateTime<Utc>) -> Result<(), E> {
        if let Some(actor) = actor {
            self.require_joined(actor)?;
        }
        self.require_state("pause", &[State::Active])?;
        self.state = State::Paused;
        self.updated_at = now;
        Ok(())
    }

    pub fn resume(&mut self, actor: UserId, now: DateTime<Utc>) -> Result<(), E> {
        self.require_joined(actor)?;
        self.require_state("resume", &[State::Paused])?;
        self.state = State::Active;
        self.updated_at = now;
        Ok(())
    }

    /// The program's organisers resume a paused relationship (they are not members of it).
    pub fn resume_by_organiser(&mut self, now: DateTime<Utc>) -> Result<(), E> {
        self.require_state("resume", &[State::Paused])?;
        self.state = State::Active;
        self.updated_at = now;
        Ok(())
    }

    /// Whether the relationship goes on without `user`: a peer group that is underway keeps at
    /// least two joined members after they leave.
    pub fn goes_on_without(&self, user: UserId) -> bool {
        self.kind == Kind::Peer
            && self.state.is_underway()
            && self.is_joined(user)
            && self.joined().filter(|m| m.user != user).count() >= 2
    }

    /// A member leaves a peer group that goes on without them (see [`Self::goes_on_without`]):
    /// they count as having said no (no longer a member), the others keep the group, its state
    /// and its schedule. An agreement that waited only for them is in force now.
    pub fn leave(&mut self, user: UserId, now: DateTime<Utc>) -> Result<(), E> {
        self.require_joined(user)?;
        if !self.goes_on_without(user) {
            return Err(E::WrongState {
                action: "leave",
                state: self.state,
            });
        }
        let m = self.members.iter_mut().find(|m| m.user == user).expect("checked above");
        m.status = MemberStatus::Declined;
        m.responded_at = Some(now);
        self.updated_at = now;
        self.activate_if_confirmed(now);
        Ok(())
    }

    /// Ends the relationship, by a member or (with `None`) by the bot, e.g. at the planned end.
    pub fn end(&mut self, actor: Option<UserId>, reason: EndReason, now: DateTime<Utc>) -> Result<(), E> {
        if let Some(actor) = actor {
            self.require_joined(actor)?;
        }
        self.require_state("end", &State::HOLDS_SEAT)?;
        self.state = State::Ended;
        self.end_reason = Some(reason);
        self.ended_by = actor;
        self.ended_at = Some(now);
        self.updated_at = now;
        Ok(())
    }

    /// What a member who has not joined may see: everything but the agreement, whose
    /// expectations are the joined members' words.
    pub fn seen_by(mut self, viewer: UserId) -> Relationship {
        if !self.is_joined(viewer) {
            self.agreements.clear();
        }
        self
    }

    /// The step a member should take next, for listings: always a command or a button that
    /// exists (issue 16, item 11), for every state and role.
    pub fn next_step(&self, viewer: UserId, ctx: &NextContext) -> String {
        let n = self.number;
        let invited = self.member(viewer).is_some_and(|m| m.status == MemberStatus::Invited);
        let own_invitation = viewer == self.proposer && self.origin != Origin::ProgramMatch;
        match self.state {
            State::Proposed | State::Accepted | State::Agreeing if invited => format!(
                "answer the invitation: its Accept or Decline buttons in your DMs, or /mentorship answer mentorship:{n}"
            ),
            State::Proposed if own_invitation => {
                format!("wait for the answer; /mentorship withdraw mentorship:{n} takes the invitation back")
            }
            State::Proposed => {
                "wait for the others to answer; the bot tells you when it goes ahead (/mentorship list shows it)".into()
            }
            State::Accepted => format!(
                "write the agreement with /mentorship agreement mentorship:{n}; everyone then confirms it"
            ),
            State::Agreeing => match self.latest_agreement() {
                Some(a) if !a.confirmed_by.contains(&viewer) => format!(
                    "confirm version {} of the agreement with the Confirm button in your DMs, or propose a change \
                     with /mentorship agreement mentorship:{n}",
                    a.version
                ),
                Some(a) => format!(
                    "wait for the others to confirm version {} (yours is recorded); /mentorship agreement \
                     mentorship:{n} changes it",
                    a.version
                ),
                None => format!("write the agreement with /mentorship agreement mentorship:{n}"),
            },
            State::Active if !ctx.has_goals => format!(
                "set your first goal with /mentorship plan add mentorship:{n}, then its steps with /mentorship plan step"
            ),
            State::Active => format!(
                "meet, then record it with /mentorship checkin mentorship:{n} (or the buttons the bot sends after \
                 the meeting)"
            ),
            State::Paused => format!(
                "resume it with /mentorship resume mentorship:{n} when ready (or end it with /mentorship end)"
            ),
            State::Ended if self.is_joined(viewer) && !ctx.retro_written => {
                "write your retrospective with the Write my retrospective button in your DMs".into()
            }
            State::Ended => "Find me another (the button in your DMs) re-opens your request or offer; /mentor seek \
                             or /mentor offer starts a new one"
                .into(),
            State::Declined | State::Expired => {
                "seek or offer again with /mentor seek or /mentor offer, or ask someone with /mentor request".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn proposal(kind: Kind, origin: Origin, members: Vec<(UserId, Role)>) -> Proposal {
        Proposal {
            guild: GuildId(1),
            proposer: members[0].0,
            kind,
            origin,
            purpose: "Learn".into(),
            members,
            offer: None,
            request: None,
        }
    }

    /// Issue 16, item 4: only the sender withdraws, only while it waits; it cannot be answered after.
    #[test]
    fn the_sender_withdraws_an_invitation() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let (a, b, c) = (UserId(10), UserId(11), UserId(12));
        let p = proposal(
            Kind::Classic,
            Origin::DirectRequest,
            vec![(a, Role::Mentee), (b, Role::Mentor)],
        );
        let mut rel = Relationship::propose(p, now, Duration::days(7)).unwrap();
        assert_eq!(rel.clone().withdraw(b, now), Err(RelationshipError::NotProposer));
        assert_eq!(rel.clone().withdraw(c, now), Err(RelationshipError::NotMember));
        rel.withdraw(a, now).unwrap();
        assert!(rel.is_withdrawn());
        assert_eq!(rel.state, State::Declined);
        assert_eq!(rel.accept(b, Seats::Unlimited, now), Err(RelationshipError::Withdrawn));
        assert_eq!(rel.decline(b, now), Err(RelationshipError::Withdrawn));
        assert!(matches!(rel.withdraw(a, now), Err(RelationshipError::NotMember)));
        // A declined pair is not a withdrawn one.
        let p = proposal(
            Kind::Classic,
            Origin::DirectRequest,
            vec![(a, Role::Mentee), (b, Role::Mentor)],
        );
        let mut declined = Relationship::propose(p, now, Duration::days(7)).unwrap();
        declined.decline(b, now).unwrap();
        assert!(!declined.is_withdrawn());
        // The organisers' proposals are theirs to withdraw (/program unplace).
        let mut p = proposal(
            Kind::Classic,
            Origin::ProgramMatch,
            vec![(a, Role::Mentee), (b, Role::Mentor)],
        );
        p.proposer = c;
        let mut matched = Relationship::propose(p, now, Duration::days(7)).unwrap();
        matched.accept(a, Seats::Unlimited, now).unwrap();
        assert_eq!(matched.withdraw(a, now), Err(RelationshipError::NotProposer));
    }

    /// Issue 16, item 6: one member of a peer group that goes on leaves it; ending is for the last two.
    #[test]
    fn a_group_goes_on_without_one_who_leaves() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let people = [UserId(10), UserId(11), UserId(12), UserId(13)];
        let p = proposal(
            Kind::Peer,
            Origin::PeerInvite,
            people.iter().map(|&u| (u, Role::Peer)).collect(),
        );
        let mut rel = Relationship::propose(p, now, Duration::days(7)).unwrap();
        for &u in &people[1..] {
            rel.accept(u, Seats::Unlimited, now).unwrap();
        }
        assert!(rel.goes_on_without(people[0]));
        rel.leave(people[0], now).unwrap();
        assert!(rel.goes_on_without(people[1]));
        rel.leave(people[1], now).unwrap();
        assert!(!rel.goes_on_without(people[2]), "two left: ending ends it for both");
        rel.end(Some(people[2]), EndReason::Other, now).unwrap();
        assert_eq!(rel.state, State::Ended);
    }
}
