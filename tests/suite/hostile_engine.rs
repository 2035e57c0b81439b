//! The hostile-input suite (issue 12): random interactions, generated from a fixed seed by
//! proptest, thrown at the engine on one SQLite file (10,000) and on PostgreSQL (1,000), and at
//! the real bot through the Discord stand-in (about 200, see `hostile_discord.rs`).
//!
//! Each interaction is a registered slash command with random values for the options it really
//! has (read from the registered commands themselves), a button or a form with a forged or a
//! real custom id, and random form fields; made by members, people who left, bots and
//! strangers; naming ids of other servers and of other people's mentorships. Values are long,
//! empty, unicode, markdown, mentions. For every one: no panic, an answer (a result or an error
//! a person can read, never our own failure), a refused one changes nothing in any table (a
//! snapshot of the whole database before and after), and no answer holds another member's
//! private words (journal entries, retrospectives, expectations of a mentorship the reader is
//! not in). The counts of accepted and refused ones, and why, are printed.
use crate::common;
use crate::hostile;

use common::World;
use hostile::{run_engine, Tally};

/// The seed of the SQLite run (ChaCha, 32 bytes).
const SEED: [u8; 32] = *b"mentorbot hostile suite, issue12";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_hostile_interactions_on_sqlite() {
    let world = World::sqlite().await;
    let tally: Tally = run_engine(world, SEED, 10_000, 1_000).await;
    tally.print("engine on SQLite");
    tally.assert_sound(10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_hostile_interactions_on_postgres() {
    let Some(world) = World::postgres().await else { return };
    let mut seed = SEED;
    seed[0] ^= 0xFF;
    let tally = run_engine(world, seed, 1_000, 500).await;
    tally.print("engine on PostgreSQL");
    tally.assert_sound(1_000);
}
