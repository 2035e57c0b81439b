//! mentorbot: a Discord bot that runs mentorship programs.
//!
//! The domain (`domain`, `engine`) is plain Rust; storage lives behind the `store::Store`
//! trait; only `discord` knows about Discord.
pub mod app;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod discord;
pub mod domain;
pub mod engine;
pub mod http;
pub mod jobs;
pub mod matching;
pub mod metrics;
pub mod schedule;
pub mod store;
