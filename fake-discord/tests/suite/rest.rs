//! The REST routes: answers valid by the spec's response schemas, Discord's errors, violations,
//! rate limits, failures on demand and `enforce_nonce`.

use std::time::Duration;

use crate::common::*;
use fake_discord::{BucketRule, FakeConfig, Limit, MessageSource, Place, SlashCommand, ViolationKind};
use serde_json::{json, Value};

const IN_GUILD: Place = Place::Guild {
    guild_id: GUILD,
    channel_id: TEXT,
};

/// A command list as poise registers it.
fn commands() -> Value {
    json!([
        {
            "name": "mentor", "description": "Mentorship", "type": 1,
            "contexts": [0, 1], "integration_types": [0],
            "options": [
                {"type": 1, "name": "request", "description": "Ask someone", "options": [
                    {"type": 6, "name": "user", "description": "Who", "required": true},
                    {"type": 3, "name": "purpose", "description": "Why", "required": false,
                     "max_length": 500}
                ]},
                {"type": 1, "name": "profile", "description": "Profile", "options": [
                    {"type": 3, "name": "timezone", "description": "IANA zone",
                     "autocomplete": true}
                ]},
                {"type": 1, "name": "offer", "description": "Offer to mentor"}
            ]
        },
        {
            "name": "mentorship", "description": "Your mentorships", "type": 1,
            "options": [{"type": 1, "name": "list", "description": "List them"}]
        },
        {
            "name": "program", "description": "Admin", "type": 1,
            "default_member_permissions": "32", "dm_permission": false,
            "options": [{"type": 1, "name": "setup", "description": "Set up", "options": []}]
        }
    ])
}

#[tokio::test]
async fn every_route_answers_validly() {
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);
    let app = fake.application_id();

    let r = api.call("GET", "/gateway", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["url"], fake.gateway_url());
    assert_eq!(api.call("GET", "/gateway/bot", None).await.status, 200);
    let r = api.call("GET", "/oauth2/applications/@me", None).await;
    assert_eq!(id_of(r.json()), app);
    let r = api.call("GET", "/users/@me", None).await;
    assert_eq!(id_of(r.json()), fake.bot_user_id());
    assert_eq!(api.call("GET", &format!("/users/{ALICE}"), None).await.status, 200);

    // Commands, global and guild.
    let r = api
        .call("PUT", &format!("/applications/{app}/commands"), Some(commands()))
        .await;
    assert_eq!(r.status, 200);
    let first_ids: Vec<u64> = r.json().as_array().unwrap().iter().map(id_of).collect();
    let r = api
        .call("PUT", &format!("/applications/{app}/commands"), Some(commands()))
        .await;
    let again: Vec<u64> = r.json().as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(first_ids, again, "re-registering keeps command ids");
    assert_eq!(fake.global_commands().len(), 3);
    let r = api.call("GET", &format!("/applications/{app}/commands"), None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    let path = format!("/applications/{app}/guilds/{GUILD}/commands");
    assert_eq!(api.call("PUT", &path, Some(commands())).await.status, 200);
    assert_eq!(api.call("GET", &path, None).await.status, 200);
    assert_eq!(fake.guild_commands(GUILD).len(), 3);

    // DM channel: the same id for the same user.
    let r = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await;
    assert_eq!(r.status, 200);
    let dm = id_of(r.json());
    let r = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await;
    assert_eq!(id_of(r.json()), dm);
    assert_eq!(fake.dm_channel_of(ALICE), Some(dm));

    // Messages: JSON with embeds and buttons, then multipart with a file.
    let r = api
        .call(
            "POST",
            &format!("/channels/{dm}/messages"),
            Some(json!({
                "content": "Bob asks you to mentor him",
                "embeds": [{"title": "Proposal", "description": "Rust", "fields": [{"name": "Purpose", "value": "learn"}]}],
                "components": [{"type": 1, "components": [
                    {"type": 2, "style": 3, "label": "Accept", "custom_id": "p:accept:1"},
                    {"type": 2, "style": 4, "label": "Decline", "custom_id": "p:decline:1"}
                ]}],
                "allowed_mentions": {"parse": []},
                "tts": false,
                "enforce_nonce": false,
            })),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let msg = id_of(r.json());
    assert_eq!(r.json()["components"][0]["components"][1]["custom_id"], "p:decline:1");
    let dms = fake.dms_to(ALICE);
    assert_eq!(dms.len(), 1);
    assert_eq!(dms[0].custom_ids(), vec!["p:accept:1", "p:decline:1"]);
    assert!(dms[0].text().contains("Purpose"));

    let form = reqwest::multipart::Form::new()
        .text(
            "payload_json",
            json!({"content": "your journal", "attachments": [{"id": 0, "filename": "journal.md"}]}).to_string(),
        )
        .part(
            "files[0]",
            reqwest::multipart::Part::bytes(b"# Journal\n".to_vec())
                .file_name("journal.md")
                .mime_str("text/markdown")
                .unwrap(),
        );
    let r = api
        .send(
            api.client
                .post(format!("https://discord.com/api/v10/channels/{dm}/messages"))
                .header("Authorization", format!("Bot {}", fake.bot_token()))
                .multipart(form),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["attachments"][0]["filename"], "journal.md");
    let file_msg = fake.message(id_of(r.json())).unwrap();
    assert_eq!(file_msg.attachments[0].data, b"# Journal\n");
    let recorded = fake.requests().last().unwrap().clone();
    assert_eq!(recorded.body.as_ref().unwrap()["content"], "your journal");
    assert_eq!(recorded.files, vec!["journal.md"]);

    // Get, edit, delete a channel message.
    let mpath = format!("/channels/{dm}/messages/{msg}");
    assert_eq!(api.call("GET", &mpath, None).await.status, 200);
    let r = api.call("PATCH", &mpath, Some(json!({"components": []}))).await;
    assert_eq!(r.status, 200);
    assert!(fake.message(msg).unwrap().edited);
    assert!(fake.message(msg).unwrap().custom_ids().is_empty());
    assert_eq!(api.call("DELETE", &mpath, None).await.status, 204);
    assert_eq!(api.call("GET", &mpath, None).await.status, 404);

    // Channels, threads, thread members.
    assert_eq!(api.call("GET", &format!("/channels/{TEXT}"), None).await.status, 200);
    assert_eq!(api.call("GET", &format!("/channels/{dm}"), None).await.status, 200);
    let r = api
        .call(
            "POST",
            &format!("/channels/{TEXT}/threads"),
            Some(json!({"name": "alice & bob", "type": 12, "invitable": false, "auto_archive_duration": 10080})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let thread = id_of(r.json());
    assert_eq!(r.json()["type"], 12);
    for u in [ALICE, BOB] {
        let r = api
            .call("PUT", &format!("/channels/{thread}/thread-members/{u}"), None)
            .await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(
        fake.channel(thread).unwrap().thread_members,
        vec![fake.bot_user_id(), ALICE, BOB]
    );
    assert_eq!(fake.threads_in(TEXT).len(), 1);
    assert_eq!(api.call("GET", &format!("/channels/{thread}"), None).await.status, 200);
    let r = api
        .call(
            "POST",
            &format!("/channels/{thread}/messages"),
            Some(json!({"content": "<@1> welcome"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(fake.messages_in(thread).len(), 1);

    // Guild, roles, channels, members.
    let r = api.call("GET", &format!("/guilds/{GUILD}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["owner_id"], OWNER.to_string());
    let r = api.call("GET", &format!("/guilds/{GUILD}/roles"), None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert_eq!(
        api.call("GET", &format!("/guilds/{GUILD}/channels"), None).await.status,
        200
    );
    let r = api.call("GET", &format!("/guilds/{GUILD}/members/{BOB}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["roles"][0], COORDINATOR_ROLE.to_string());

    // Interactions: message answer, follow-up, @original get/edit/delete.
    let h = fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("profile"));
    let cb = format!("/interactions/{}/{}/callback", h.id, h.token);
    let r = api
        .call("POST", &cb, Some(json!({"type": 4, "data": {"content": "Your profile", "flags": 64,
            "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Edit", "custom_id": "profile:edit"}]}]}})))
        .await;
    assert_eq!(r.status, 204);
    let resp = h.wait_response().await;
    assert_eq!(resp.kind, 4);
    assert!(resp.is_ephemeral());
    assert_eq!(resp.content(), Some("Your profile"));
    assert_eq!(resp.custom_ids(), vec!["profile:edit"]);
    assert_eq!(
        api.call("POST", &cb, Some(json!({"type": 4, "data": {"content": "again"}})))
            .await
            .json()["code"],
        40060
    );
    let wh = format!("/webhooks/{app}/{}", h.token);
    let r = api
        .call(
            "POST",
            &format!("{wh}?wait=true"),
            Some(json!({"content": "follow-up", "flags": 64})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let follow = id_of(r.json());
    assert_eq!(h.followups().len(), 1);
    let orig = format!("{wh}/messages/@original");
    let r = api.call("GET", &orig, None).await;
    assert_eq!(r.json()["content"], "Your profile");
    let r = api
        .call("PATCH", &orig, Some(json!({"content": "Edited", "components": []})))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.original().unwrap().content, "Edited");
    let r = api
        .call(
            "PATCH",
            &format!("{wh}/messages/{follow}"),
            Some(json!({"content": "follow-up 2"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.call("DELETE", &orig, None).await.status, 204);
    assert!(h.original().is_none());

    // Deferred answer, then edited.
    let h = fake.interaction_slash(Place::Dm, ALICE, SlashCommand::new("mentorship").subcommand("list"));
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 5, "data": {"flags": 64}})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(h.wait_response().await.is_deferred());
    assert_eq!(h.original().unwrap().flags, 64 | 128);
    let r = api
        .call(
            "PATCH",
            &format!("/webhooks/{app}/{}/messages/@original", h.token),
            Some(json!({"content": "Nothing yet"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let o = h
        .wait_original(|m| m.content == "Nothing yet", Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(o.flags, 64);
    assert_eq!(o.source, MessageSource::InteractionResponse { interaction_id: h.id });

    // Modal, then its submit answered with a message.
    let h = fake.interaction_slash(IN_GUILD, BOB, SlashCommand::new("mentor").subcommand("offer"));
    let r = api
        .call("POST", &format!("/interactions/{}/{}/callback", h.id, h.token), Some(json!({"type": 9, "data": {
            "custom_id": "offer:modal", "title": "Your offer",
            "components": [{"type": 1, "components": [{"type": 4, "custom_id": "purpose", "label": "Purpose", "style": 2, "required": true}]}]
        }})))
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(h.wait_response().await.modal_custom_id(), Some("offer:modal"));
    let s = fake.submit_modal(&h, &[("purpose", "help")]);
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", s.id, s.token),
            Some(json!({"type": 4, "data": {"content": "Saved"}})),
        )
        .await;
    assert_eq!(r.status, 204);

    // Autocomplete.
    let h = fake.interaction_autocomplete(
        IN_GUILD,
        ALICE,
        SlashCommand::new("mentor")
            .subcommand("profile")
            .focus("timezone", "Eur"),
    );
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 8, "data": {
                "choices": [{"name": "Europe/Berlin", "value": "Europe/Berlin"}]
            }})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(h.wait_response().await.choices()[0].0, "Europe/Berlin");

    // Buttons: update the message (7), and deferred update (6) then edit @original.
    let dm_msg = fake
        .wait_for_message(
            |m| m.custom_ids().contains(&"p:accept:1".to_string()),
            Duration::from_secs(1),
        )
        .await;
    assert!(dm_msg.is_none(), "that message was deleted");
    let r = api
        .call("POST", &format!("/channels/{dm}/messages"), Some(json!({"content": "Accept?", "components": [{"type": 1, "components": [{"type": 2, "style": 3, "label": "Accept", "custom_id": "p:accept:2"}]}]})))
        .await;
    let with_button = id_of(r.json());
    let b = fake.interaction_button(with_button, ALICE, "p:accept:2");
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", b.id, b.token),
            Some(json!({"type": 7, "data": {"content": "Accepted", "components": [{"type": 1, "components": [{"type": 2, "style": 3, "label": "Accept again", "custom_id": "p:accept:2"}]}]}})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(fake.message(with_button).unwrap().content, "Accepted");
    let b = fake.interaction_button(with_button, ALICE, "p:accept:2");
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", b.id, b.token),
            Some(json!({"type": 6})),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = api
        .call(
            "PATCH",
            &format!("/webhooks/{app}/{}/messages/@original", b.token),
            Some(json!({"content": "Accepted twice"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(fake.message(with_button).unwrap().content, "Accepted twice");

    // Discord's errors.
    let r = api.call("GET", "/channels/1234/messages/5", None).await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10003)));
    let r = api.call("GET", &format!("/guilds/{GUILD}/members/12345"), None).await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10007)));
    let r = api
        .call(
            "POST",
            "/interactions/1/nope/callback",
            Some(json!({"type": 4, "data": {"content": "x"}})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10062)));
    let r = api
        .call(
            "POST",
            &format!("/channels/{TEXT}/messages"),
            Some(json!({"content": ""})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(50006)));
    let r = api
        .send(
            api.client
                .get("https://discord.com/api/v10/users/@me")
                .header("Authorization", "Bot wrong"),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (401, Some(0)));

    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s < 500));
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_missing_spec_is_reported_and_validation_skipped() {
    let fake = fake_discord::FakeDiscord::start(FakeConfig {
        spec_path: Some("/nonexistent/openapi.json".into()),
        ..FakeConfig::default()
    })
    .await;
    assert!(!fake.validates());
    let api = Api::new(&fake);
    assert_eq!(api.call("GET", "/no/such/route", None).await.status, 404);
    assert!(fake.spec_violations().is_empty());
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 200);
}

#[tokio::test]
async fn closed_dms_answer_50007() {
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);
    fake.set_dms_closed(BOB);
    let r = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": BOB.to_string()})),
        )
        .await;
    assert_eq!(r.status, 200, "opening the DM channel still works");
    let dm = id_of(r.json());
    let r = api
        .call(
            "POST",
            &format!("/channels/{dm}/messages"),
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["code"], 50007);
    assert!(fake.dms_to(BOB).is_empty());
    fake.set_dms_open(BOB);
    let r = api
        .call(
            "POST",
            &format!("/channels/{dm}/messages"),
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(r.status, 200);
    fake.assert_no_violations();
}

#[tokio::test]
async fn violations_are_recorded() {
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);

    // Unknown route.
    let r = api.call("GET", "/no/such/route", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], 0);
    // A body that breaks the schema: Discord refuses it with 50035.
    let r = api
        .call(
            "POST",
            &format!("/channels/{TEXT}/messages"),
            Some(json!({"content": 5, "tts": "yes"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], 50035);
    assert!(fake.messages_in(TEXT).is_empty());
    // A method the path does not have.
    api.call("PUT", "/gateway", None).await;
    // A path parameter that is not a snowflake.
    api.call("GET", "/channels/general", None).await;
    // A route in the spec the stand-in does not implement.
    api.call("GET", &format!("/channels/{TEXT}/pins"), None).await;

    let kinds: Vec<ViolationKind> = fake.spec_violations().iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ViolationKind::UnknownRoute,
            ViolationKind::InvalidBody,
            ViolationKind::UnknownMethod,
            ViolationKind::InvalidParameter,
            ViolationKind::NotImplemented,
        ],
        "{:#?}",
        fake.spec_violations()
    );
    let body = &fake.spec_violations()[1];
    assert_eq!(body.route.as_deref(), Some("/channels/{channel_id}/messages"));
    assert!(body.details.iter().any(|d| d.contains("/content")), "{body}");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fake.assert_no_violations()));
    assert!(result.is_err());
}

#[tokio::test]
async fn a_burst_beyond_a_bucket_draws_429() {
    let fake = setup(FakeConfig {
        bucket_rules: vec![BucketRule::new(Some("POST"), "/channels/", 2, Duration::from_secs(2))],
        ..FakeConfig::default()
    })
    .await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let mut replies = Vec::new();
    for i in 0..3 {
        replies.push(api.call("POST", &path, Some(json!({"content": format!("m{i}")}))).await);
    }
    assert_eq!(replies[0].status, 200);
    assert_eq!(replies[0].header("x-ratelimit-limit"), Some("2"));
    assert_eq!(replies[0].header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(replies[1].header("x-ratelimit-remaining"), Some("0"));
    let bucket = replies[0].header("x-ratelimit-bucket").unwrap().to_string();
    assert_eq!(replies[1].header("x-ratelimit-bucket"), Some(bucket.as_str()));
    let reset_after: f64 = replies[0].header("x-ratelimit-reset-after").unwrap().parse().unwrap();
    assert!(reset_after > 0.0 && reset_after <= 2.0);
    let reset: f64 = replies[0].header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > 1.7e9);

    let limited = &replies[2];
    assert_eq!(limited.status, 429);
    let retry: f64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0.0 && retry <= 2.0);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited.header("x-ratelimit-scope"), Some("user"));
    assert!(limited.header("x-ratelimit-global").is_none());
    assert_eq!(limited.json()["global"], false);
    assert!(limited.json()["retry_after"].as_f64().unwrap() > 0.0);
    assert_eq!(fake.rate_limited_count(), 1);
    assert_eq!(fake.messages_in(TEXT).len(), 2);

    // Another channel is another bucket.
    let other = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await;
    let dm = id_of(other.json());
    let r = api
        .call(
            "POST",
            &format!("/channels/{dm}/messages"),
            Some(json!({"content": "x"})),
        )
        .await;
    assert_eq!(r.status, 200);

    // After the window, the bucket is open again.
    tokio::time::sleep(Duration::from_secs_f64(retry + 0.05)).await;
    assert_eq!(
        api.call("POST", &path, Some(json!({"content": "later"}))).await.status,
        200
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn the_global_limit_draws_global_429() {
    let fake = setup(FakeConfig {
        global_limit: Limit::new(3, Duration::from_secs(1)),
        ..FakeConfig::default()
    })
    .await;
    let api = Api::new(&fake);
    let mut last = None;
    for _ in 0..4 {
        last = Some(api.call("GET", "/users/@me", None).await);
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-ratelimit-global"), Some("true"));
    assert_eq!(r.header("x-ratelimit-scope"), Some("global"));
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json()["global"], true);
    assert_eq!(fake.global_rate_limited_count(), 1);
    // Interaction callbacks are not bound to the global limit.
    let h = fake.interaction_slash(
        Place::Guild {
            guild_id: GUILD,
            channel_id: TEXT,
        },
        ALICE,
        SlashCommand::new("mentor").subcommand("list"),
    );
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 4, "data": {"content": "ok"}})),
        )
        .await;
    assert_eq!(r.status, 204);
    fake.assert_no_violations();
}

#[tokio::test]
async fn enforce_nonce_returns_the_first_message() {
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let body = json!({"content": "reminder", "nonce": "job-17-reminder", "enforce_nonce": true});
    let a = api.call("POST", &path, Some(body.clone())).await;
    let b = api.call("POST", &path, Some(body.clone())).await;
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(id_of(a.json()), id_of(b.json()));
    assert_eq!(fake.messages_in(TEXT).len(), 1);
    assert_eq!(a.json()["nonce"], "job-17-reminder");

    // Integer nonces too; another nonce is another message.
    let c = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "x", "nonce": 12345, "enforce_nonce": true})),
        )
        .await;
    let d = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "x", "nonce": 12345, "enforce_nonce": true})),
        )
        .await;
    assert_eq!(id_of(c.json()), id_of(d.json()));
    assert_ne!(id_of(c.json()), id_of(a.json()));
    assert_eq!(fake.messages_in(TEXT).len(), 2);

    // Without enforce_nonce the same nonce makes a new message.
    let e = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "reminder", "nonce": "job-17-reminder", "enforce_nonce": false})),
        )
        .await;
    assert_ne!(id_of(e.json()), id_of(a.json()));
    assert_eq!(fake.messages_in(TEXT).len(), 3);
    fake.assert_no_violations();
}

#[tokio::test]
async fn nonces_expire() {
    let fake = setup(FakeConfig {
        nonce_ttl: Duration::from_millis(200),
        ..FakeConfig::default()
    })
    .await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let body = json!({"content": "reminder", "nonce": "n1", "enforce_nonce": true});
    let a = api.call("POST", &path, Some(body.clone())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = api.call("POST", &path, Some(body)).await;
    assert_ne!(id_of(a.json()), id_of(b.json()));
}

#[tokio::test]
async fn failures_on_demand_and_late_interaction_answers() {
    let fake = setup(FakeConfig {
        interaction_deadline: Some(Duration::from_millis(100)),
        ..FakeConfig::default()
    })
    .await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    fake.fail_next(Some("POST"), "/channels/", 503);
    let r = api.call("POST", &path, Some(json!({"content": "a"}))).await;
    assert_eq!(r.status, 503);
    assert!(r.json()["code"].is_number());
    let r = api.call("POST", &path, Some(json!({"content": "a"}))).await;
    assert_eq!(r.status, 200);
    fake.fail_next_n(None, "/users/@me", 500, 2);
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 500);
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 500);
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 200);

    let h = fake.interaction_slash(
        Place::Guild {
            guild_id: GUILD,
            channel_id: TEXT,
        },
        ALICE,
        SlashCommand::new("mentor").subcommand("list"),
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(json!({"type": 4, "data": {"content": "late"}})),
        )
        .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (404, Some(10062)));
    assert!(h.try_wait_response(Duration::from_millis(10)).await.is_none());
    let seen = fake
        .wait_for_request(|r| r.path.ends_with("/callback"), Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(seen.status, 404);
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_dm_channel_opened_before_is_the_one_discord_answers_and_costs_no_request() {
    let fake = setup(FakeConfig::default()).await;
    assert_eq!(
        FakeConfig::default().global_limit,
        Limit::new(50, Duration::from_secs(1)),
        "Discord's global limit by default"
    );
    let api = Api::new(&fake);
    let before = fake.requests().len();
    let dm = fake.open_dm(ALICE);
    assert_eq!(fake.requests().len(), before, "opening it is no request");
    assert_eq!(fake.dm_channel_of(ALICE), Some(dm));
    assert_eq!(fake.open_dm(ALICE), dm, "one DM channel per person");
    let r = api
        .call(
            "POST",
            &format!("/channels/{dm}/messages"),
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(fake.dms_to(ALICE).len(), 1);
    let opened = api
        .call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await;
    assert_eq!(id_of(opened.json()), dm);
    fake.assert_no_violations();
}

/// One POST of a message to the text channel, given up after `timeout`: the status, or `None`
/// when no answer came in time.
async fn post_within(fake: &fake_discord::FakeDiscord, n: u32, timeout: Duration) -> Option<u16> {
    let r = fake
        .http_client()
        .post(format!("https://discord.com/api/v10/channels/{TEXT}/messages"))
        .header("Authorization", format!("Bot {}", fake.bot_token()))
        .json(&json!({"content": format!("message {n}")}))
        .timeout(timeout)
        .send()
        .await;
    match r {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) if e.is_timeout() => None,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn faults_hold_requests_answer_late_and_storm_429s() {
    use fake_discord::Faults;
    let fake = setup(FakeConfig::default()).await;
    let api = Api::new(&fake);
    let wait = Duration::from_millis(1500);

    // Held after handling: Discord made the message, the answer never came.
    fake.set_faults(Faults {
        hang_every: Some(2),
        hang_after_handling: true,
        ..Faults::default()
    });
    let (a, b, c, d) = tokio::join!(
        post_within(&fake, 1, wait),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            post_within(&fake, 2, wait).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            post_within(&fake, 3, wait).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            post_within(&fake, 4, wait).await
        },
    );
    // Which two are held depends on the order they arrive in: every second one is.
    let answers = [a, b, c, d];
    assert_eq!(answers.iter().filter(|r| **r == Some(200)).count(), 2, "{answers:?}");
    assert_eq!(answers.iter().filter(|r| r.is_none()).count(), 2, "{answers:?}");
    assert_eq!(fake.messages_in(TEXT).len(), 4, "the held ones were handled");

    // Held before handling: the request never happened.
    fake.set_faults(Faults {
        hang_every: Some(2),
        ..Faults::default()
    });
    assert_eq!(post_within(&fake, 5, wait).await, Some(200));
    assert_eq!(post_within(&fake, 6, wait).await, None);
    let contents: Vec<String> = fake.messages_in(TEXT).iter().map(|m| m.content.clone()).collect();
    assert_eq!(contents.len(), 5, "{contents:?}");
    assert!(!contents.contains(&"message 6".to_string()));
    assert_eq!(fake.fault_stats().hung, 3);

    // Slow: every answer after the delay.
    fake.set_faults(Faults {
        delay: Some(Duration::from_millis(400)),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(fake.fault_stats().delayed, 1);

    // A 429 storm: one request in five, a short non-global wait, counted with the other 429s.
    fake.set_faults(Faults {
        storm_every: Some(5),
        ..Faults::default()
    });
    let before = fake.rate_limited_count();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let r = api.call("GET", &format!("/guilds/{GUILD}"), None).await;
        if r.status == 429 {
            let body = r.json();
            assert_eq!(body["global"], false);
            assert!(body["retry_after"].as_f64().unwrap() > 0.0);
            assert!(r.headers.get("retry-after").is_some());
        }
        statuses.push(r.status);
    }
    let limited: Vec<usize> = (0..10).filter(|i| statuses[*i] == 429).collect();
    assert_eq!(limited.len(), 2, "{statuses:?}");
    assert_eq!(fake.fault_stats().stormed, 2);
    assert_eq!(fake.rate_limited_count() - before, 2);
    assert_eq!(fake.global_rate_limited_count(), 0);

    // serenity's client waits out an injected 429 and gets its answer.
    let http = serenity::http::HttpBuilder::new(fake.bot_token())
        .client(fake.http_client())
        .build();
    for _ in 0..5 {
        http.get_current_user().await.expect("answered after the storm's 429");
    }
    assert_eq!(fake.fault_stats().stormed, 3);

    // Off again.
    fake.set_faults(Faults::default());
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 200);
    assert_eq!(fake.fault_stats().stormed, 3);
    fake.assert_no_violations();
}
