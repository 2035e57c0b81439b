//! The CI check of issue 16 (no dead ends): after the test suite ran with
//! `FAKE_DISCORD_RECORD=<file>`, every `/command subcommand` that any request of the record names
//! (messages, embeds, buttons, forms, command descriptions) must be a command the bot registers.
//!
//! `cargo run --example command_paths -- <record file>` (or with `FAKE_DISCORD_RECORD` set and no
//! argument). Exits 1 and lists the paths that are not registered, with the line naming each;
//! exits 2 when the record cannot be read or is empty.
use mentorbot::discord::commands::help::{unknown_paths_in_record, CommandTree};

fn main() {
    let file = std::env::args()
        .nth(1)
        .or_else(|| std::env::var(fake_discord::record::RECORD_ENV).ok())
        .unwrap_or_default();
    if file.is_empty() {
        eprintln!("usage: command_paths <record file> (or set FAKE_DISCORD_RECORD)");
        std::process::exit(2);
    }
    let record = match std::fs::read_to_string(&file) {
        Ok(r) if !r.trim().is_empty() => r,
        Ok(_) => {
            eprintln!("{file} is empty: did the suite run with FAKE_DISCORD_RECORD set?");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            std::process::exit(2);
        }
    };
    let lines = record.lines().count();
    let bad = unknown_paths_in_record(&record, &CommandTree::registered());
    if bad.is_empty() {
        println!("command paths: every /command named in {lines} recorded requests is registered");
        return;
    }
    for (line, path) in &bad {
        println!("{file}:{line}: names {path}, which is not a registered command");
    }
    std::process::exit(1);
}
