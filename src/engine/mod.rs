//! The engine: each use case loads what it needs, lets the domain decide, and stores the result.
//! It knows neither Discord nor SQL; the store and the clock are handed in.
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::domain::ids::*;
use crate::domain::listing::ListingError;
use crate::domain::relationship::{Relationship, RelationshipError};
use crate::domain::validate::ValidationError;
use crate::store::{Store, StoreError};

pub mod agreement_change;
pub mod drafts;
pub mod guide;
pub mod hands;
pub mod import;
pub mod invitation_status;
pub mod invitations;
mod journal;
mod listings;
pub mod matching;
pub mod members;
pub mod numbers;
pub mod organisers;
mod plan;
pub mod presses;
mod privacy;
mod profiles;
mod program;
pub mod questions;
mod relationships;
pub mod schedule;

pub use program::{ProgramSetup, ThreadMemberDue};
pub use relationships::Direction;
pub use schedule::{MeetingAnswer, Moved};

/// Program-wide rules the engine applies.
#[derive(Debug, Clone)]
pub struct ProgramRules {
    /// How long an invitation waits for an answer.
    pub proposal_expiry: Duration,
    /// How long finished jobs are kept before the purge deletes them.
    pub job_retention: Duration,
}

impl Default for ProgramRules {
    fn default() -> Self {
        Self {
            proposal_expiry: Duration::days(7),
            job_retention: Duration::days(30),
        }
    }
}

/// What can go wrong in a use case: things the person can fix, and our own failures.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Relationship(#[from] RelationshipError),
    #[error("that offer or request: {0}")]
    Listing(#[from] ListingError),
    #[error("{0} not found in this server")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("someone changed this at the same moment; please try again")]
    Conflict,
    /// A limit of the server (invitations, agreement versions) or someone who cannot be invited.
    #[error("{0}")]
    Limit(String),
    #[error("internal error: {0}")]
    Internal(#[source] StoreError),
}

impl Error {
    /// True when the person can act on the message; false for our own failures.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }

    /// The short text a person sees. Values it quotes back are cut to a readable length, so a
    /// long input still gets an answer that fits in a message.
    pub fn user_message(&self) -> String {
        shorten_quoted(&self.full_message())
    }

    fn full_message(&self) -> String {
        match self {
            Error::Internal(_) => {
                "Sorry, something went wrong on our side. It has been logged; please try again later.".into()
            }
            Error::Invalid(v) | Error::Relationship(RelationshipError::Invalid(v)) => {
                format!("Please fix the {}: {}.", v.field, v.reason.trim_end_matches('.'))
            }
            // One answer whether the mentorship does not exist or is someone else's, so its
            // existence cannot be learned by trying numbers.
            Error::NotFound("mentorship") | Error::Relationship(RelationshipError::NotMember) => NOT_YOURS.into(),
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                let sentence = match chars.next() {
                    Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                    None => text,
                };
                match other.way_forward() {
                    Some(hint) => format!("{sentence} {hint}"),
                    None => sentence,
                }
            }
        }
    }

    /// The command or button that helps after this refusal (issue 16: no refusal without a way
    /// forward); `None` where the message itself says what to do.
    pub fn way_forward(&self) -> Option<&'static str> {
        use RelationshipError as R;
        Some(match self {
            Error::Relationship(R::WrongState { action, state }) => state_way_forward(action, *state),
            Error::Relationship(R::NotInvited | R::AlreadyAnswered) => {
                "/mentorship list shows your mentorships and what each needs next."
            }
            Error::Relationship(R::SelfPairing | R::DuplicateMember) => "Mention each other person once.",
            Error::Relationship(R::GroupSize { .. }) => "Run /mentor peer-group again with 2 to 7 other members.",
            Error::Relationship(R::PairShape(_)) => {
                "Use /mentor request or /mentor offer-to for a pair, /mentor peer-group for a group."
            }
            Error::Relationship(R::CapacityFull) => {
                "/mentor suggest lists mentors with a free place; /mentor seek lets the organisers match you."
            }
            Error::Relationship(R::AlreadyLive { .. }) => "/mentorship list shows it and its next step.",
            Error::Relationship(R::StaleAgreement { .. }) => {
                "Press the Confirm button of the newest agreement message in your DMs."
            }
            Error::Relationship(R::NoAgreement) => "Write one with /mentorship agreement.",
            Error::Relationship(R::AlreadyConfirmed(_)) => {
                "Nothing more to do: the others confirm it; /mentorship list shows who still has to."
            }
            Error::Relationship(R::TooManyOther(_)) => "/mentor suggest lists others who fit; or ask them again later.",
            Error::Relationship(R::NotProposer) => {
                "Answer it instead with its Accept or Decline button (or /mentorship answer)."
            }
            Error::Relationship(R::Withdrawn) => "/mentor suggest and /mentor seek find another match.",
            Error::NotFound("goal" | "step") => "/mentorship plan list shows the plan with its numbers.",
            Error::NotFound("journal entry") => "/mentorship journal list shows your entries with their numbers.",
            Error::NotFound("check-in") => {
                "/mentorship list shows your mentorships; the newest reminder carries the current buttons."
            }
            Error::NotFound("agreement" | "agreement in force") => {
                "Write one with /mentorship agreement; everyone then confirms it."
            }
            Error::NotFound("offer") => "/mentor withdraw what:offer lists your open offers.",
            Error::NotFound("request") => "/mentor withdraw what:request lists your open requests.",
            Error::NotFound(_) => "/mentor help lists the commands.",
            Error::Listing(_) => "/mentor withdraw lists your open offers and requests.",
            _ => return None,
        })
    }
}

/// What to do when an action does not fit the state a mentorship is in.
fn state_way_forward(action: &str, state: crate::domain::relationship::State) -> &'static str {
    use crate::domain::relationship::State as S;
    match (action, state) {
        ("resume", S::Active) => "It is not paused; /mentorship pause pauses it.",
        ("withdraw", S::Accepted | S::Agreeing | S::Active | S::Paused) => {
            "It was accepted already; /mentorship end ends it (after a confirmation)."
        }
        ("withdraw", _) => "Only an invitation still waiting for answers can be withdrawn; /mentorship list shows it.",
        ("pause", S::Paused) => "It is paused already; /mentorship resume resumes it.",
        ("accept", S::Expired) => {
            "It lapsed: nobody answered in time. If you still want it, ask them again with /mentor request or \
             /mentor offer-to."
        }
        ("accept", S::Declined) => {
            "Someone declined it, so it did not go ahead; /mentor suggest and /mentor seek find another match."
        }
        ("accept" | "decline", S::Accepted | S::Agreeing | S::Active | S::Paused | S::Ended) => {
            "Its invitation is answered already; /mentorship list shows what comes next."
        }
        (_, S::Proposed) => {
            "It waits for answers to the invitation (the Accept and Decline buttons in the invitees' DMs); \
             /mentorship list shows it."
        }
        (_, S::Accepted) => "Write the agreement first with /mentorship agreement.",
        (_, S::Agreeing) => {
            "Everyone confirms the agreement first (the Confirm button in your DMs); /mentorship list shows who."
        }
        (_, S::Active) => "It has started already; /mentorship list shows its next step.",
        (_, S::Paused) => "Resume it first with /mentorship resume.",
        (_, S::Ended) => "It has ended; /mentor seek or /mentor offer starts your next mentorship.",
        (_, S::Declined | S::Expired) => {
            "It did not go ahead; /mentor request asks someone directly, /mentor seek asks the organisers to \
             match you."
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_quoted_values_are_cut() {
        let long = "x".repeat(5000);
        let e = super::Error::Invalid(crate::domain::validate::ValidationError::new(
            "until",
            format!("\"{long}\" is not a date; write it as YYYY-MM-DD"),
        ));
        let text = e.user_message();
        assert!(text.chars().count() < 200, "{text}");
        assert!(text.ends_with("is not a date; write it as YYYY-MM-DD."), "{text}");
        assert_eq!(super::shorten_quoted("a \"b\" c"), "a \"b\" c");
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Stale => Error::Conflict,
            StoreError::CapacityFull => Error::Relationship(RelationshipError::CapacityFull),
            StoreError::DuplicateLive => Error::Relationship(RelationshipError::AlreadyLive {
                kind: crate::domain::listing::Kind::Classic,
            }),
            StoreError::AlreadyExists => Error::Conflict,
            e @ StoreError::Database(_) => Error::Internal(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The longest value an answer quotes back, in characters.
const MAX_QUOTED: usize = 80;

/// Cuts every quoted value ("...") longer than [`MAX_QUOTED`] characters, with an ellipsis.
pub fn shorten_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    let mut parts = text.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        // Odd pieces (0-based even here) are inside quotes.
        if i % 2 == 0 && part.chars().count() > MAX_QUOTED {
            out.extend(part.chars().take(MAX_QUOTED - 1));
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The answer for a mentorship that does not exist, is in another server, or is not the asker's.
pub const NOT_YOURS: &str =
    "You have no such mentorship in this server (or have not joined it). /mentorship list shows yours.";

#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rules: ProgramRules,
    /// Fault injection for tests: behave as a process killed right after each save (the work
    /// that follows a save at once never happens; only what the save's transaction planned).
    stop_after_save: Arc<std::sync::atomic::AtomicBool>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, rules: ProgramRules) -> Self {
        Self {
            store,
            clock,
            rules,
            stop_after_save: Arc::default(),
        }
    }

    /// Fault injection for tests: from now on (until called with `false`), nothing that follows a
    /// save at once runs, as if the process died right after the save's commit.
    #[doc(hidden)]
    pub fn inject_stop_after_save(&self, on: bool) {
        self.stop_after_save.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    fn stopped_after_save(&self) -> bool {
        self.stop_after_save.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A relationship of this guild, or NotFound.
    async fn load(&self, guild: GuildId, id: RelationshipId) -> Result<Relationship> {
        self.store
            .relationship(guild, id)
            .await?
            .ok_or(Error::NotFound("mentorship"))
    }

    /// A relationship the viewer belongs to (invited, joined or declined). To anyone else it
    /// does not exist, so its existence is not revealed.
    pub async fn relationship_for(&self, guild: GuildId, id: RelationshipId, viewer: UserId) -> Result<Relationship> {
        let rel = self.load(guild, id).await?;
        if rel.member(viewer).is_none() {
            return Err(Error::NotFound("mentorship"));
        }
        Ok(rel)
    }

    /// A relationship the actor has joined; anyone else gets the same answer as for one that
    /// does not exist.
    pub async fn joined_relationship(&self, guild: GuildId, id: RelationshipId, actor: UserId) -> Result<Relationship> {
        let rel = self.load(guild, id).await?;
        if !rel.is_joined(actor) {
            return Err(Error::NotFound("mentorship"));
        }
        Ok(rel)
    }
}
