//! The mentorship domain: plain values and rules, no Discord and no database.
pub mod agreement;
pub mod checkin;
pub mod guide;
pub mod ids;
pub mod import;
pub mod journal;
pub mod listing;
pub mod plan;
pub mod preferences;
pub mod profile;
pub mod program;
pub mod questions;
pub mod relationship;
pub mod retrospective;
pub mod validate;

pub use ids::*;
