//! A slash command's options kept while the person types the rest into a form. They live in the
//! database under the id of the command's interaction (the form's custom id carries it), so a
//! restart loses nothing; only their owner can use them; each member keeps a few at most; and
//! they expire by age.
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Direction, Engine, Error, Result};
use crate::domain::agreement::AgreementInput;
use crate::domain::ids::*;
use crate::domain::listing::{Kind, OfferInput, RequestInput};
use crate::domain::questions::Wish;
use crate::store::privacy::StoredDraft;

/// Open forms a member may have at once; opening one more drops their oldest.
pub const DRAFTS_PER_MEMBER: u32 = 5;
/// How long a form stays usable.
pub const DRAFT_TTL_HOURS: i64 = 24;

/// The options of the command that opened a form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Draft {
    Offer {
        input: OfferInput,
        /// The answer to "may others see you in /mentor suggest?", when given.
        suggestable: Option<bool>,
    },
    Seek {
        input: RequestInput,
        suggestable: Option<bool>,
        /// Whether the mentor should be from the mentee's profession (issue 13). Drafts kept
        /// before it existed read as "either".
        #[serde(default)]
        wish: Wish,
        /// The request an ending closed, re-opened by this form instead of a second one.
        #[serde(default)]
        reopen: Option<RequestId>,
    },
    Direct {
        to: UserId,
        kind: Kind,
        direction: Direction,
    },
    Peer {
        invitees: Vec<UserId>,
    },
    Agreement {
        rel: RelationshipId,
        input: AgreementInput,
    },
}

impl Engine {
    /// Keeps the options of a form that is opening.
    pub async fn put_draft(&self, key: u64, guild: GuildId, user: UserId, draft: &Draft) -> Result<()> {
        let now = self.now();
        let stored = StoredDraft {
            guild,
            user,
            draft: serde_json::to_string(draft)
                .map_err(|e| Error::Internal(crate::store::StoreError::Database(Box::new(e))))?,
            created_at: now,
        };
        self.store
            .put_draft(key, &stored, DRAFTS_PER_MEMBER, now - Duration::hours(DRAFT_TTL_HOURS))
            .await?;
        Ok(())
    }

    /// The user's own draft under `key`, if it has not expired. Anyone else's is not there.
    pub(super) async fn own_draft(&self, key: u64, user: UserId) -> Result<Option<(GuildId, Draft)>> {
        let since = self.now() - Duration::hours(DRAFT_TTL_HOURS);
        let Some(stored) = self.store.draft(key, user, since).await? else {
            return Ok(None);
        };
        let draft: Draft = serde_json::from_str(&stored.draft)
            .map_err(|e| Error::Internal(crate::store::StoreError::Database(Box::new(e))))?;
        Ok(Some((stored.guild, draft)))
    }
}
