//! The real serenity client, with its rate limiter on, against the stand-in.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use fake_discord::{BucketRule, FakeConfig, FakeDiscord, Place, SlashCommand, ViolationKind};
use serde_json::json;
use serenity::all::{
    ChannelId, Command, CommandOptionType, Context, CreateActionRow, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateCommand, CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EventHandler, GatewayIntents, GuildId, Interaction, Member, Nonce, Permissions, Ready, User, UserId,
};
use serenity::http::{Http, HttpBuilder};
use tokio::sync::mpsc;

struct Handler {
    seen: mpsc::UnboundedSender<String>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let _ = self.seen.send(format!("ready {}", ready.application.id));
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match interaction {
            Interaction::Command(c) => {
                let text = format!("hello {} from /{}", c.user.name, c.data.name);
                c.create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(
                        CreateInteractionResponseMessage::new()
                            .content(text)
                            .ephemeral(true)
                            .components(vec![CreateActionRow::Buttons(vec![
                                CreateButton::new("ok:1").label("OK")
                            ])]),
                    ),
                )
                .await
            }
            Interaction::Component(c) => {
                c.create_response(
                    &ctx.http,
                    CreateInteractionResponse::UpdateMessage(
                        CreateInteractionResponseMessage::new()
                            .content(format!("pressed {}", c.data.custom_id))
                            .components(vec![]),
                    ),
                )
                .await
            }
            Interaction::Autocomplete(a) => {
                a.create_response(
                    &ctx.http,
                    CreateInteractionResponse::Autocomplete(
                        CreateAutocompleteResponse::new().add_string_choice("Europe/Berlin", "Europe/Berlin"),
                    ),
                )
                .await
            }
            Interaction::Modal(m) => {
                m.create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(
                        CreateInteractionResponseMessage::new().content(format!("saved {}", m.data.custom_id)),
                    ),
                )
                .await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            let _ = self.seen.send(format!("error {e}"));
        }
    }

    async fn guild_member_removal(&self, _ctx: Context, guild_id: GuildId, user: User, _member: Option<Member>) {
        let _ = self.seen.send(format!("removed {} from {}", user.id, guild_id));
    }
}

struct Bot {
    http: Arc<Http>,
    seen: mpsc::UnboundedReceiver<String>,
    shards: Arc<serenity::gateway::ShardManager>,
    task: tokio::task::JoinHandle<()>,
}

impl Bot {
    async fn start(fake: &FakeDiscord) -> Bot {
        let http = HttpBuilder::new(fake.bot_token()).client(fake.http_client()).build();
        let (tx, seen) = mpsc::unbounded_channel();
        // `ClientBuilder::new_with_http` keeps our HTTP client (and its rate limiter).
        let client = serenity::client::ClientBuilder::new_with_http(
            http,
            GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS | GatewayIntents::DIRECT_MESSAGES,
        )
        .event_handler(Handler { seen: tx });
        let mut client = client.await.expect("client");
        let http = Arc::clone(&client.http);
        let shards = Arc::clone(&client.shard_manager);
        let task = tokio::spawn(async move {
            if let Err(e) = client.start().await {
                eprintln!("client stopped: {e}");
            }
        });
        Bot {
            http,
            seen,
            shards,
            task,
        }
    }

    async fn expect_seen(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.seen.recv()).await {
                Ok(Some(s)) if s.starts_with(prefix) => return s,
                Ok(Some(s)) => assert!(!s.starts_with("error"), "handler failed: {s}"),
                _ => panic!("the handler never saw `{prefix}`"),
            }
        }
    }

    async fn stop(self) {
        self.shards.shutdown_all().await;
        self.task.abort();
    }
}

const IN_GUILD: Place = Place::Guild {
    guild_id: GUILD,
    channel_id: TEXT,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_client_end_to_end() {
    let fake = setup(FakeConfig::default()).await;
    let mut bot = Bot::start(&fake).await;
    fake.wait_ready(Duration::from_secs(20)).await;
    let ready = bot.expect_seen("ready").await;
    assert_eq!(ready, format!("ready {}", fake.application_id()));
    let gw = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/gateway")
        .expect("serenity asked for the gateway URL");
    assert_eq!(
        gw.header("authorization"),
        Some(format!("Bot {}", fake.bot_token()).as_str())
    );

    // Command registration as a bot does it.
    let cmds = vec![
        CreateCommand::new("mentor")
            .description("Mentorship")
            .add_option(
                CreateCommandOption::new(CommandOptionType::SubCommand, "request", "Ask someone")
                    .add_sub_option(CreateCommandOption::new(CommandOptionType::User, "user", "Who").required(true))
                    .add_sub_option(
                        CreateCommandOption::new(CommandOptionType::String, "purpose", "Why").max_length(500),
                    ),
            )
            .add_option(
                CreateCommandOption::new(CommandOptionType::SubCommand, "profile", "Profile").add_sub_option(
                    CreateCommandOption::new(CommandOptionType::String, "timezone", "Zone").set_autocomplete(true),
                ),
            ),
        CreateCommand::new("program")
            .description("Admin")
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .dm_permission(false),
        CreateCommand::new("mentorship")
            .description("Your mentorships")
            .add_option(CreateCommandOption::new(
                CommandOptionType::SubCommand,
                "list",
                "List them",
            )),
    ];
    let registered = Command::set_global_commands(&bot.http, cmds)
        .await
        .expect("register commands");
    assert_eq!(registered.len(), 3);
    assert_eq!(fake.global_commands().len(), 3);

    // A slash command with a user option, answered with an ephemeral message and a button.
    let h = fake.interaction_slash(
        IN_GUILD,
        ALICE,
        SlashCommand::new("mentor").subcommand("request").user("user", BOB),
    );
    let resp = h.wait_response().await;
    assert_eq!(resp.kind, 4);
    assert_eq!(resp.content(), Some("hello alice from /mentor"));
    assert!(resp.is_ephemeral());
    assert_eq!(resp.custom_ids(), vec!["ok:1"]);

    // The button on that ephemeral message.
    let original = h.original().expect("the response made a message");
    let b = fake.interaction_button(original.id, ALICE, "ok:1");
    assert_eq!(b.wait_response().await.kind, 7);
    assert_eq!(fake.message(original.id).unwrap().content, "pressed ok:1");

    // Autocomplete and a modal submit, in a DM.
    let a = fake.interaction_autocomplete(
        Place::Dm,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("profile")
            .focus("timezone", "Eur"),
    );
    assert_eq!(a.wait_response().await.choices()[0].0, "Europe/Berlin");
    let m = fake.interaction_modal_submit(Place::Dm, ALICE, "offer:modal", &[("purpose", "x")]);
    assert_eq!(m.wait_response().await.content(), Some("saved offer:modal"));

    // DMs: channel + message; the nonce rule; a file.
    let first = UserId::new(ALICE)
        .direct_message(
            &bot.http,
            CreateMessage::new()
                .content("reminder")
                .nonce(Nonce::String("job-1".into()))
                .enforce_nonce(true),
        )
        .await
        .expect("DM");
    let again = UserId::new(ALICE)
        .direct_message(
            &bot.http,
            CreateMessage::new()
                .content("reminder")
                .nonce(Nonce::String("job-1".into()))
                .enforce_nonce(true),
        )
        .await
        .expect("DM");
    assert_eq!(first.id, again.id, "same nonce, same message");
    assert_eq!(fake.dms_to(ALICE).len(), 1);
    let with_file = UserId::new(ALICE)
        .direct_message(
            &bot.http,
            CreateMessage::new()
                .content("your journal")
                .add_file(CreateAttachment::bytes(b"# Journal\n".to_vec(), "journal.md")),
        )
        .await
        .expect("DM with a file");
    assert_eq!(with_file.attachments[0].filename, "journal.md");
    assert_eq!(
        fake.message(with_file.id.get()).unwrap().attachments[0].data,
        b"# Journal\n"
    );
    let dm_channel_posts = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/users/@me/channels")
        .count();
    assert!(dm_channel_posts >= 1);

    // DMs closed: serenity reports Discord's code 50007.
    fake.set_dms_closed(BOB);
    let err = UserId::new(BOB)
        .direct_message(&bot.http, CreateMessage::new().content("hi"))
        .await
        .expect_err("DMs are closed");
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)) => {
            assert_eq!(e.error.code, 50007);
            assert_eq!(e.status_code.as_u16(), 403);
        }
        other => panic!("expected an unsuccessful request, got {other:?}"),
    }

    // A member leaves.
    fake.send_member_remove(GUILD, CAROL);
    let removed = bot.expect_seen("removed").await;
    assert_eq!(removed, format!("removed {CAROL} from {GUILD}"));

    // The gateway connection drops; serenity resumes and still answers.
    fake.drop_gateway();
    let h = fake.interaction_slash(IN_GUILD, BOB, SlashCommand::new("mentorship").subcommand("list"));
    let resp = h
        .try_wait_response(Duration::from_secs(30))
        .await
        .expect("answered after the reconnection");
    assert_eq!(resp.content(), Some("hello bob from /mentorship"));
    let stats = fake.gateway_stats();
    assert_eq!(stats.identifies, 1, "{stats:?}");
    assert!(stats.resumed >= 1, "{stats:?}");
    assert!(stats.connections >= 2, "{stats:?}");

    fake.assert_no_violations();

    // A request that breaks the spec is caught (and refused as Discord would).
    let err = bot
        .http
        .send_message(ChannelId::new(TEXT), vec![], &json!({"content": 5}))
        .await
        .expect_err("invalid body");
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)) => {
            assert_eq!(e.error.code, 50035);
        }
        other => panic!("expected an unsuccessful request, got {other:?}"),
    }
    let violations = fake.take_spec_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0].kind, ViolationKind::InvalidBody);
    fake.assert_no_violations();

    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_paces_itself_by_the_headers() {
    let fake = setup(FakeConfig {
        bucket_rules: vec![BucketRule::new(Some("POST"), "/channels/", 2, Duration::from_secs(1))],
        ..FakeConfig::default()
    })
    .await;
    let http = HttpBuilder::new(fake.bot_token()).client(fake.http_client()).build();
    let started = Instant::now();
    for i in 0..5 {
        ChannelId::new(TEXT)
            .send_message(&http, CreateMessage::new().content(format!("m{i}")))
            .await
            .expect("send");
    }
    let took = started.elapsed();
    assert_eq!(fake.rate_limited_count(), 0, "honest headers: serenity waits");
    assert!(took >= Duration::from_millis(1500), "took {took:?}");
    assert_eq!(fake.messages_in(TEXT).len(), 5);

    // A 5xx on demand reaches the caller as an error.
    fake.fail_next(Some("POST"), "/channels/", 502);
    let err = ChannelId::new(TEXT)
        .send_message(&http, CreateMessage::new().content("x"))
        .await
        .expect_err("injected 502");
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)) => {
            assert_eq!(e.status_code.as_u16(), 502);
        }
        other => panic!("expected an unsuccessful request, got {other:?}"),
    }
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_parses_every_rest_answer_the_bot_needs() {
    use serenity::all::{
        ChannelType, CreateInteractionResponseFollowup, CreateThread, EditInteractionResponse, InteractionId,
    };
    use serenity::builder::Builder;

    let fake = setup(FakeConfig::default()).await;
    let http = HttpBuilder::new(fake.bot_token())
        .client(fake.http_client())
        .application_id(fake.application_id().into())
        .build();

    // Guild, roles, members, channels.
    let guild = GuildId::new(GUILD).to_partial_guild(&http).await.expect("guild");
    assert_eq!(guild.owner_id.get(), OWNER);
    let roles = GuildId::new(GUILD).roles(&http).await.expect("roles");
    assert!(roles.contains_key(&COORDINATOR_ROLE.into()));
    let member = GuildId::new(GUILD)
        .member(&http, UserId::new(BOB))
        .await
        .expect("member");
    assert_eq!(member.roles, vec![serenity::all::RoleId::new(COORDINATOR_ROLE)]);
    let missing = GuildId::new(GUILD).member(&http, UserId::new(12345)).await;
    assert!(missing.is_err());
    let channel = ChannelId::new(TEXT).to_channel(&http).await.expect("channel");
    assert!(channel.guild().is_some());
    let app = http.get_current_application_info().await.expect("application");
    assert_eq!(app.id.get(), fake.application_id());
    let me = http.get_current_user().await.expect("current user");
    assert!(me.bot);

    // A private thread for a pair, with its members, and a message in it.
    let thread = ChannelId::new(TEXT)
        .create_thread(
            &http,
            CreateThread::new("alice & bob")
                .kind(ChannelType::PrivateThread)
                .invitable(false),
        )
        .await
        .expect("thread");
    assert_eq!(thread.kind, ChannelType::PrivateThread);
    for u in [ALICE, BOB] {
        thread
            .id
            .add_thread_member(&http, UserId::new(u))
            .await
            .expect("thread member");
    }
    assert_eq!(fake.channel(thread.id.get()).unwrap().thread_members.len(), 3);
    let posted = thread
        .id
        .send_message(&http, CreateMessage::new().content("<@1> welcome"))
        .await
        .expect("message in the thread");
    assert_eq!(posted.channel_id, thread.id);
    let fetched = thread.id.to_channel(&http).await.expect("thread channel");
    assert!(fetched.guild().is_some());

    // An interaction deferred, edited, followed up, read and deleted.
    let h = fake.interaction_slash(
        Place::Guild {
            guild_id: GUILD,
            channel_id: TEXT,
        },
        ALICE,
        SlashCommand::new("mentorship").subcommand("list"),
    );
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
        .execute(&http, (InteractionId::new(h.id), &h.token))
        .await
        .expect("defer");
    let edited = EditInteractionResponse::new()
        .content("your relationships")
        .execute(&http, &h.token)
        .await
        .expect("edit @original");
    assert_eq!(edited.content, "your relationships");
    let follow = CreateInteractionResponseFollowup::new()
        .content("more")
        .ephemeral(true)
        .execute(&http, (None, &h.token))
        .await
        .expect("follow-up");
    assert!(follow.flags.is_some_and(|f| f.bits() & 64 != 0));
    let original = http
        .get_original_interaction_response(&h.token)
        .await
        .expect("get @original");
    assert_eq!(original.content, "your relationships");
    http.delete_original_interaction_response(&h.token)
        .await
        .expect("delete @original");
    assert!(h.original().is_none());
    assert_eq!(h.followups().len(), 1);

    fake.assert_no_violations();
}
