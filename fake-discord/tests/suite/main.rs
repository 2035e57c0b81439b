//! The stand-in's own tests, one test binary: every file here is a module, so the shared helpers
//! (`tests/common`) and serenity are compiled and linked once, not once per file (CI's 20-minute
//! budget on two cores). Run one part with `cargo test -p fake-discord --test suite rest::`.
#[path = "../common/mod.rs"]
mod common;

mod discord_lifecycle;
mod discord_rules;
mod gateway_payloads;
mod mentions_and_recording;
mod poise_framework;
mod rest;
mod serenity_client;
mod sharding;
