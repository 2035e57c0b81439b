//! Who has not answered (issue 17): the program's proposals waiting for an answer, and those
//! declined or lapsed in the last weeks, for `/program invitations`, the digest, and a note to
//! the organisers when a program proposal is declined or lapses. Ids, roles and dates only.
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::hands::Organiser;
use super::organisers::Organisers;
use super::{Engine, Result};
use crate::domain::ids::*;
use crate::domain::listing::Kind;
use crate::domain::relationship::{MemberStatus, Origin, Relationship, Role, State};
use crate::store::jobs::{Job, NewJob};

/// Declined and lapsed proposals are listed for this many weeks.
pub const RECENT_WEEKS: i64 = 4;
/// The job kind of the note to the organisers about a declined or lapsed program proposal.
pub const PROGRAM_ANSWER: &str = "program_answer";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Waiting,
    Declined,
    Lapsed,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Waiting => "waiting",
            Answer::Declined => "declined",
            Answer::Lapsed => "lapsed",
        }
    }
}

/// One of the program's proposals as the organisers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationLine {
    pub id: RelationshipId,
    /// The number people see (see [`Relationship::number`]).
    pub number: i64,
    pub kind: Kind,
    pub answer: Answer,
    pub members: Vec<(UserId, Role, MemberStatus)>,
    pub proposed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When it was declined or lapsed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl InvitationLine {
    fn of(rel: &Relationship, answer: Answer) -> Self {
        InvitationLine {
            id: rel.id,
            number: rel.number,
            kind: rel.kind,
            answer,
            members: rel.members.iter().map(|m| (m.user, m.role, m.status)).collect(),
            proposed_at: rel.created_at,
            expires_at: rel.expires_at,
            closed_at: (answer != Answer::Waiting).then_some(rel.updated_at),
        }
    }

    /// Who has not answered (for a lapsed one: who let it lapse).
    pub fn not_answered(&self) -> Vec<UserId> {
        self.with_status(MemberStatus::Invited)
    }

    pub fn declined_by(&self) -> Vec<UserId> {
        self.with_status(MemberStatus::Declined)
    }

    fn with_status(&self, status: MemberStatus) -> Vec<UserId> {
        self.members.iter().filter(|m| m.2 == status).map(|m| m.0).collect()
    }
}

/// The program's proposals waiting (oldest first), then those declined or lapsed since
/// [`RECENT_WEEKS`] ago (newest first). Withdrawn ones (`/program unplace`) are left out.
pub fn invitation_lines(
    rels: &[Relationship],
    withdrawn: &HashSet<RelationshipId>,
    now: DateTime<Utc>,
) -> Vec<InvitationLine> {
    let since = now - Duration::weeks(RECENT_WEEKS);
    let mut waiting = Vec::new();
    let mut closed = Vec::new();
    for r in rels.iter().filter(|r| r.origin == Origin::ProgramMatch) {
        match r.state {
            State::Proposed => waiting.push(InvitationLine::of(r, Answer::Waiting)),
            State::Declined if r.updated_at >= since => closed.push(InvitationLine::of(r, Answer::Declined)),
            State::Expired if r.updated_at >= since && !withdrawn.contains(&r.id) => {
                closed.push(InvitationLine::of(r, Answer::Lapsed))
            }
            _ => {}
        }
    }
    waiting.sort_by_key(|l| (l.proposed_at, l.id));
    closed.sort_by_key(|l| std::cmp::Reverse((l.closed_at, l.id)));
    waiting.extend(closed);
    waiting
}

/// A note for the organisers about one declined or lapsed program proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramAnswer {
    pub guild: GuildId,
    pub to: Organisers,
    pub line: InvitationLine,
}

impl Engine {
    async fn withdrawn(&self, guild: GuildId) -> Result<HashSet<RelationshipId>> {
        Ok(self
            .store
            .organiser_log(guild, None)
            .await?
            .into_iter()
            .filter(|e| e.action == super::hands::HandAction::Unplace.as_str())
            .filter_map(|e| e.relationship)
            .collect())
    }

    /// The server's program invitations now (see [`invitation_lines`]).
    pub(super) async fn invitation_lines(&self, guild: GuildId) -> Result<Vec<InvitationLine>> {
        let rels = self.store.relationships_in(guild).await?;
        Ok(invitation_lines(&rels, &self.withdrawn(guild).await?, self.now()))
    }

    /// `/program invitations`, for organisers only.
    pub async fn program_invitations(&self, guild: GuildId, who: Organiser<'_>) -> Result<Vec<InvitationLine>> {
        self.require_hands(guild, who).await?;
        self.invitation_lines(guild).await
    }

    /// The job that tells the organisers (once) that a program proposal was declined or lapsed,
    /// for the save of that change to plan in its own transaction (an outbox: a crash after the
    /// save cannot lose the note); `None` for any other change.
    pub(super) fn program_answer_job(&self, rel: &Relationship) -> Option<NewJob> {
        if rel.origin != Origin::ProgramMatch || !matches!(rel.state, State::Declined | State::Expired) {
            return None;
        }
        Some(NewJob {
            guild: rel.guild,
            relationship: None,
            kind: PROGRAM_ANSWER.to_string(),
            dedupe_key: format!("program-answer:g{}:r{}", rel.guild.0, rel.id.0),
            payload: json!({"relationship": rel.id.0}),
            run_at: self.now(),
        })
    }

    /// The note a due [`PROGRAM_ANSWER`] job sends; `None` when the proposal is gone (forgotten
    /// people) or is no longer declined or lapsed.
    pub async fn due_program_answer(&self, job: &Job) -> Result<Option<ProgramAnswer>> {
        let Some(id) = job.payload.get("relationship").and_then(|v| v.as_i64()) else {
            return Ok(None);
        };
        let Some(rel) = self.store.relationship(job.guild, RelationshipId(id)).await? else {
            return Ok(None);
        };
        let answer = match rel.state {
            State::Declined => Answer::Declined,
            State::Expired => Answer::Lapsed,
            _ => return Ok(None),
        };
        Ok(Some(ProgramAnswer {
            guild: job.guild,
            to: self.organisers(job.guild).await?,
            line: InvitationLine::of(&rel, answer),
        }))
    }
}
