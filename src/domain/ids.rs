//! Identifiers. Discord ids are 64-bit snowflakes; records of our own get database ids.
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $inner:ty, hidden) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);
    };
    ($(#[$doc:meta])* $name:ident, $inner:ty) => {
        id_type!($(#[$doc])* $name, $inner, hidden);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A Discord server. Every record belongs to exactly one.
    GuildId,
    u64
);
id_type!(
    /// A Discord user.
    UserId,
    u64
);
id_type!(
    /// An offer's database id: people see and type its number among their own offers.
    OfferId,
    i64,
    hidden
);
id_type!(
    /// A request's database id: people see and type its number among their own requests.
    RequestId,
    i64,
    hidden
);
id_type!(
    /// A mentorship's database id. It counts across every server, so it has no `Display`:
    /// people see and type [`crate::domain::relationship::Relationship::number`] instead.
    RelationshipId,
    i64,
    hidden
);
id_type!(GoalId, i64);
id_type!(StepId, i64);
id_type!(CheckinId, i64);
id_type!(JournalEntryId, i64);
