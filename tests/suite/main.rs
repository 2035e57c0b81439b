//! The integration suite, one test binary: every file here is a module, so the shared helpers
//! (`tests/common`) and the crate are compiled and linked once, not once per file (CI's
//! 20-minute budget on two cores). Run one part with `cargo test --test suite <module>::`.
#[macro_use]
#[path = "../common/mod.rs"]
mod common;
#[path = "../hostile/mod.rs"]
mod hostile;

mod catch_up;
mod cli;
mod discord_criteria;
mod discord_edges;
mod discord_flow;
mod discord_import;
mod discord_inputs;
mod discord_large_guild;
mod discord_lifecycle;
mod discord_limits;
mod discord_matching;
mod discord_mentions_threads;
mod discord_next_steps;
mod discord_notifications;
mod discord_organisers;
mod discord_privacy;
mod discord_privacy_holes;
mod discord_schedule;
mod discord_start;
mod discord_suggest;
mod discord_times;
mod faults;
mod hostile_discord;
mod hostile_engine;
mod index_plans;
mod isolation;
mod jobs;
mod lifecycle;
mod matching_criteria;
mod matching_program;
mod matching_unchanged;
mod mentorship_numbers;
mod notify;
mod ops;
mod organisers;
mod outbox;
mod privacy_holes;
mod privacy_holes_before_after;
mod refusals;
