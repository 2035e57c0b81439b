//! Discord refuses the bot at start: a bad token, or a privileged intent the application has
//! not turned on. `mentorbot run` must say what to do in one line and stop with a non-zero status,
//! not retry for ever. Run through the same start path (`discord::run_with`, which `run` calls)
//! against the stand-in.
use crate::common;

use common::discord::WAIT;
use common::World;

/// Starts the bot as `mentorbot run` does (its `run` with the stand-in's client) and returns how
/// it ended; it must end on its own.
async fn run_against(fake: &fake_discord::FakeDiscord, w: &World, token: &str, shards: &str) -> anyhow::Result<()> {
    let mut settings = mentorbot::config::Settings::defaults();
    settings.discord.token = mentorbot::config::Secret::new(token.to_string());
    if !shards.is_empty() {
        settings.discord.shards = shards.to_string();
        settings.discord.shard_count = 1;
    }
    let app = mentorbot::app::App::with_store(settings, w.store.clone(), w.clock.clone());
    let options = mentorbot::discord::DiscordOptions {
        http_client: Some(fake.http_client()),
        background_sweeps: false,
        job_poll: None,
    };
    tokio::time::timeout(WAIT, mentorbot::discord::run_with(app, options))
        .await
        .expect("the bot stops by itself instead of retrying for ever")
}

/// The one line `mentorbot run` prints for a failed start, and its exit status.
fn said(result: anyhow::Result<()>) -> (String, std::process::ExitCode) {
    let e = result.expect_err("the start fails");
    let refused = e
        .downcast_ref::<mentorbot::discord::Refused>()
        .unwrap_or_else(|| panic!("a refusal, not {e:#}"));
    (refused.to_string(), mentorbot::cli::failure(&e))
}

/// A bad token (refused over HTTP before the gateway, whatever the shard plan) and a privileged
/// intent the application has not turned on (gateway close 4014): the start ends with one line
/// saying what to do and a non-zero status, without retrying.
#[tokio::test]
async fn a_bad_token_or_a_missing_intent_stops_the_start_with_what_to_do() {
    let w = World::sqlite().await;
    let fake = fake_discord::FakeDiscord::start(fake_discord::FakeConfig::default()).await;
    for shards in ["", "0-0"] {
        let (line, status) = said(run_against(&fake, &w, "not-the-token", shards).await);
        assert!(
            line.contains("refused the bot token") && line.contains("MENTORBOT__DISCORD__TOKEN"),
            "{line}"
        );
        assert!(!line.contains('\n'), "one line: {line}");
        assert_eq!(status, std::process::ExitCode::from(2));
    }
    assert_eq!(fake.gateway_stats().identifies, 0, "refused before the gateway");

    let config = fake_discord::FakeConfig {
        privileged_intents: 0,
        ..Default::default()
    };
    let fake = fake_discord::FakeDiscord::start(config).await;
    let (line, status) = said(run_against(&fake, &w, &fake.bot_token(), "").await);
    assert!(
        line.contains("4014") && line.contains("Server Members Intent") && line.contains("developer portal"),
        "names the intent to turn on: {line}"
    );
    assert!(!line.contains('\n'), "one line: {line}");
    assert_eq!(status, std::process::ExitCode::from(2));
    assert_eq!(fake.gateway_stats().identifies, 1, "no retry");
    let refused = fake.take_spec_violations();
    assert!(
        refused
            .iter()
            .all(|v| v.rule.as_deref() == Some("gateway.disallowed_intents")),
        "{refused:?}"
    );
}

/// Registering the commands runs beside the start's catch-up, not before the bot takes
/// interactions: the commands a restarted bot registered before are already in the members'
/// clients, and poise holds every interaction until the setup is done. Here the registration
/// fails outright (it used to end the setup, and every command after it waited for ever): a
/// command is still answered.
#[tokio::test]
async fn commands_are_answered_whatever_the_registration_does() {
    use common::discord::{here, Harness, OWNER};
    use common::fixtures::{GUILD, MENTEE};
    let w = World::sqlite().await;
    let fake = fake_discord::FakeDiscord::start(common::discord::config()).await;
    fake.add_guild(fake_discord::FakeGuild::new(GUILD.0, "Mentors", OWNER));
    fake.add_member(GUILD.0, fake_discord::FakeUser::new(MENTEE.0, "grace"));
    fake.fail_next_n(Some("PUT"), "/applications/", 500, 100);
    let app = mentorbot::app::App::with_store(Harness::settings(&fake), w.store.clone(), w.clock.clone());
    let handle = mentorbot::discord::start(
        &app,
        mentorbot::discord::DiscordOptions {
            http_client: Some(fake.http_client()),
            background_sweeps: false,
            job_poll: None,
        },
    )
    .await
    .expect("the bot starts");
    tokio::time::timeout(WAIT, handle.caught_up())
        .await
        .expect("the start's catch-up finished");
    let asked = fake.interaction_slash(
        here(),
        MENTEE.0,
        fake_discord::SlashCommand::new("mentorship").subcommand("list"),
    );
    let answer = asked.try_wait_response(WAIT).await.expect("the command is answered");
    assert!(answer.is_ephemeral(), "{answer:?}");
    assert!(fake.global_commands().is_empty(), "the registration failed");
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path.contains("/commands") && r.status == 500),
        "the registration was tried"
    );
    handle.shutdown().await;
}
