//! The check-in schedule: from an agreement's frequency, time zone and start
//! to the instants of its check-ins (pure: no clock, no I/O).
//!
//! - [`frequency`]: parsing and validating a frequency text and a time zone.
//! - [`occurrence`]: generating occurrences (lazy iterator, `next_after`).
//! - [`cli`]: the `mentorbot schedule` subcommand's logic and output format.

pub mod cli;
pub mod frequency;
pub mod occurrence;

pub use cli::{parse_start, parse_until, run_cli};
pub use frequency::{parse_frequency, parse_timezone, CronError, CronSpec, Frequency, FrequencyError, TimezoneError};
pub use occurrence::{next_after, occurrences, resolve_local, Occurrence, Occurrences};
