//! poise 0.7 on serenity 0.12 against the stand-in: registration, sub-commands, user options,
//! autocomplete, deferred answers and the permission check, with no spec violation.

use std::time::Duration;

use crate::common::*;
use fake_discord::{FakeConfig, Place, SlashCommand};
use serenity::all::{GatewayIntents, User};
use serenity::http::HttpBuilder;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ctx<'a> = poise::Context<'a, (), Error>;

/// Mentorship.
#[poise::command(slash_command, subcommands("request", "profile"))]
async fn mentor(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Ask someone to mentor you.
#[poise::command(slash_command)]
async fn request(
    ctx: Ctx<'_>,
    #[description = "Who"] user: User,
    #[description = "Why"]
    #[max_length = 500]
    purpose: Option<String>,
) -> Result<(), Error> {
    ctx.send(
        poise::CreateReply::default()
            .content(format!("asked {} ({})", user.name, purpose.unwrap_or_default()))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

async fn zones(_ctx: Ctx<'_>, partial: &str) -> serenity::all::CreateAutocompleteResponse {
    ["Europe/Berlin", "Europe/Paris", "America/New_York"]
        .into_iter()
        .filter(|z| z.starts_with(partial))
        .fold(serenity::all::CreateAutocompleteResponse::new(), |r, z| {
            r.add_string_choice(z, z)
        })
}

/// Your profile.
#[poise::command(slash_command)]
async fn profile(
    ctx: Ctx<'_>,
    #[description = "IANA time zone"]
    #[autocomplete = "zones"]
    timezone: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    ctx.say(format!("zone {}", timezone.unwrap_or_default())).await?;
    Ok(())
}

/// Set up the program.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
async fn program(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.send(poise::CreateReply::default().content("set up").ephemeral(true))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poise_bot_against_the_stand_in() {
    let fake = setup(FakeConfig::default()).await;
    let http = HttpBuilder::new(fake.bot_token()).client(fake.http_client()).build();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![mentor(), program()],
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(())
            })
        })
        .build();
    let mut client = serenity::client::ClientBuilder::new_with_http(
        http,
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS | GatewayIntents::DIRECT_MESSAGES,
    )
    .framework(framework)
    .await
    .expect("client");
    let shards = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        let _ = client.start().await;
    });
    fake.wait_ready(Duration::from_secs(20)).await;
    fake.wait_for_request(
        |r| r.method == "PUT" && r.path.ends_with("/commands"),
        Duration::from_secs(10),
    )
    .await
    .expect("poise registers its commands");
    let registered = fake.global_commands();
    assert_eq!(registered.len(), 2);
    let program_cmd = registered.iter().find(|c| c["name"] == "program").unwrap();
    assert_eq!(program_cmd["default_member_permissions"], "32");

    let in_guild = Place::Guild {
        guild_id: GUILD,
        channel_id: TEXT,
    };
    let h = fake.interaction_slash(
        in_guild,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("request")
            .user("user", BOB)
            .str("purpose", "Rust"),
    );
    let r = h.wait_response().await;
    assert_eq!(r.content(), Some("asked bob (Rust)"));
    assert!(r.is_ephemeral());

    let a = fake.interaction_autocomplete(
        Place::Dm,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("profile")
            .focus("timezone", "Europe/"),
    );
    let choices: Vec<String> = a.wait_response().await.choices().into_iter().map(|c| c.0).collect();
    assert_eq!(choices, vec!["Europe/Berlin", "Europe/Paris"]);

    let d = fake.interaction_slash(
        in_guild,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("profile")
            .str("timezone", "Europe/Berlin"),
    );
    assert!(d.wait_response().await.is_deferred());
    let followup = d.wait_followups(1, Duration::from_secs(5)).await;
    let edited = d.original().filter(|o| o.content == "zone Europe/Berlin");
    assert!(
        edited.is_some() || followup.iter().any(|m| m.content == "zone Europe/Berlin"),
        "the deferred answer arrives: {:?} {:?}",
        d.original(),
        followup
    );

    // The permission check: the owner passes, alice is refused.
    let ok = fake.interaction_slash(in_guild, OWNER, SlashCommand::new("program"));
    assert_eq!(ok.wait_response().await.content(), Some("set up"));
    let refused = fake.interaction_slash(in_guild, ALICE, SlashCommand::new("program"));
    let r = refused.wait_response().await;
    assert_ne!(r.content(), Some("set up"));
    assert!(r.is_ephemeral(), "poise refuses with an ephemeral message: {r:?}");
    let coordinator = fake.interaction_slash(in_guild, BOB, SlashCommand::new("program"));
    assert_eq!(coordinator.wait_response().await.content(), Some("set up"));

    fake.assert_no_violations();
    shards.shutdown_all().await;
    task.abort();
}
