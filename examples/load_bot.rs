//! The bot's process for the load harness (`cargo run --release --example load`): only what
//! `mentorbot run` runs, so its memory is the bot's and not the stand-in's. Build it beside the
//! harness with `cargo build --release --example load_bot`; the harness starts it.
#[path = "load/bot.rs"]
mod bot;

fn main() {
    if !bot::run_if_child() {
        eprintln!("load_bot is started by the load harness: cargo run --release --example load");
        std::process::exit(2);
    }
}
