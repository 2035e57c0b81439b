//! The bot in a process of its own, so that its memory and CPU are measured without the stand-in
//! (which holds Discord's OpenAPI file and a JSON-schema validator) and the harness. The process
//! is `load_bot` (examples/load_bot.rs: only this file, so only the code `mentorbot run` has is
//! mapped into it) when it was built beside the harness, else the harness itself; either runs
//! only what `mentorbot run` runs (`App::build`, `discord::start` with the production options, on
//! the runtime `mentorbot run` builds), against the stand-in's address with its certificate,
//! given in `MENTORBOT_LOAD_CHILD`.
//!
//! The bot says on stdout when it is `ready` and `caught_up`; it stops gracefully when its stdin
//! closes.
use std::time::Duration;

use mentorbot::app::App;
use mentorbot::config::{Secret, Settings};
use mentorbot::discord::{start, DiscordOptions};
use serde_json::Value;
use tokio::io::AsyncReadExt;

pub const CHILD: &str = "MENTORBOT_LOAD_CHILD";

/// In the child process: runs the bot until stdin closes. Returns false in the harness.
pub fn run_if_child() -> bool {
    let Ok(spec) = std::env::var(CHILD) else {
        return false;
    };
    // The runtime `mentorbot run` builds (`cli::block_on`): one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bot(serde_json::from_str(&spec).expect("the child's spec")));
    runtime.shutdown_timeout(Duration::from_secs(1));
    true
}

async fn bot(v: Value) {
    let s = |k: &str| v[k].as_str().expect(k).to_string();
    let mut settings = Settings::defaults();
    settings.database.url = s("url");
    settings.discord.token = Secret::new(s("token"));
    let app = App::build(settings).await.expect("the bot's app");
    // The stand-in's client: its certificate, discord.com at its address, and the timeouts
    // production's client has.
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(s("cert").as_bytes()).unwrap())
        .resolve("discord.com", s("rest").parse().unwrap())
        .build()
        .unwrap();
    let handle = start(
        &app,
        DiscordOptions {
            http_client: Some(client),
            ..DiscordOptions::production()
        },
    )
    .await
    .expect("the bot starts");
    handle.bot().await;
    println!("ready");
    handle.caught_up().await;
    println!("caught_up");
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    handle.shutdown().await;
    println!("stopped");
}
