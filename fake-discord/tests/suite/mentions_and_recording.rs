//! Who a message pings, worked out as Discord does (content, `allowed_mentions`, the replied-to
//! author), and the request record `FAKE_DISCORD_RECORD` appends to.

use crate::common::*;
use fake_discord::{Pinged, Place, SlashCommand};
use serde_json::{json, Value};

async fn post(api: &Api, channel: u64, body: Value) -> Reply {
    api.call("POST", &format!("/channels/{channel}/messages"), Some(body))
        .await
}

fn pinged_by(fake: &fake_discord::FakeDiscord, r: &Reply) -> Pinged {
    assert_eq!(r.status, 200, "{:?}", r.body);
    fake.message(id_of(r.json())).unwrap().pinged
}

#[tokio::test]
async fn pings_follow_content_and_allowed_mentions_as_on_discord() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let typed =
        format!("@everyone Our first Rust service went live. <@&{COORDINATOR_ROLE}> thanks <@{ALICE}> and @here");

    // Without allowed_mentions Discord parses everything.
    let r = post(&api, TEXT, json!({"content": typed})).await;
    let p = pinged_by(&fake, &r);
    assert_eq!(p.users, vec![ALICE]);
    assert_eq!(p.roles, vec![COORDINATOR_ROLE]);
    assert!(p.everyone && p.here);
    assert_eq!(r.json()["mention_everyone"], true);
    assert_eq!(r.json()["mention_roles"], json!([COORDINATOR_ROLE.to_string()]));
    assert_eq!(r.json()["mentions"][0]["id"], ALICE.to_string());

    // `parse: []`: the text is shown as typed and pings nobody.
    let r = post(&api, TEXT, json!({"content": typed, "allowed_mentions": {"parse": []}})).await;
    assert!(pinged_by(&fake, &r).is_nobody());
    assert_eq!(r.json()["mention_everyone"], false);
    assert_eq!(fake.message(id_of(r.json())).unwrap().content, typed);

    // Exactly the people meant: a users list pings those of them the content mentions.
    let r = post(
        &api,
        TEXT,
        json!({"content": typed, "allowed_mentions": {"parse": [], "users": [ALICE.to_string(), BOB.to_string()]}}),
    )
    .await;
    assert_eq!(
        pinged_by(&fake, &r),
        Pinged {
            users: vec![ALICE],
            ..Pinged::default()
        }
    );
    // The coordinator role by id, and users by parse.
    let r = post(
        &api,
        TEXT,
        json!({"content": typed, "allowed_mentions": {"parse": ["users"], "roles": [COORDINATOR_ROLE.to_string()]}}),
    )
    .await;
    let p = pinged_by(&fake, &r);
    assert_eq!(
        (p.users, p.roles, p.everyone),
        (vec![ALICE], vec![COORDINATOR_ROLE], false)
    );

    // parse "users" with a users list: Discord refuses the body.
    let r = post(
        &api,
        TEXT,
        json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": [ALICE.to_string()]}}),
    )
    .await;
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(50035)));
    let v = fake.take_spec_violations();
    assert!(
        v.iter()
            .any(|x| x.rule.as_deref() == Some("allowed_mentions.parse_conflict")),
        "{v:#?}"
    );

    // A user who is not in the guild is not pinged; nor is anyone by @everyone in a DM.
    let r = post(&api, TEXT, json!({"content": "<@123456789012345678>"})).await;
    assert!(pinged_by(&fake, &r).is_nobody());
    let dm = id_of(
        api.call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await
        .json(),
    );
    let r = post(&api, dm, json!({"content": format!("@everyone <@{ALICE}>")})).await;
    assert_eq!(
        pinged_by(&fake, &r),
        Pinged {
            users: vec![ALICE],
            ..Pinged::default()
        }
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn replies_ping_the_replied_author_unless_told_not_to_and_edits_rebuild_the_mentions() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let bobs = fake.add_message(TEXT, BOB, "a question");
    let reply = |am: Option<Value>| {
        let mut b = json!({"content": "an answer", "message_reference": {"message_id": bobs.to_string()}});
        if let Some(am) = am {
            b["allowed_mentions"] = am;
        }
        b
    };
    let r = post(&api, TEXT, reply(None)).await;
    assert_eq!(pinged_by(&fake, &r).users, vec![BOB]);
    let r = post(&api, TEXT, reply(Some(json!({"parse": []})))).await;
    assert!(pinged_by(&fake, &r).is_nobody());
    let r = post(&api, TEXT, reply(Some(json!({"parse": [], "replied_user": true})))).await;
    assert_eq!(pinged_by(&fake, &r).users, vec![BOB]);

    // An edit with content and no allowed_mentions is parsed with Discord's defaults.
    let r = post(
        &api,
        TEXT,
        json!({"content": "quiet", "allowed_mentions": {"parse": []}}),
    )
    .await;
    let id = id_of(r.json());
    let e = api
        .call(
            "PATCH",
            &format!("/channels/{TEXT}/messages/{id}"),
            Some(json!({"content": "@everyone"})),
        )
        .await;
    assert_eq!(e.status, 200);
    assert!(fake.message(id).unwrap().pinged.everyone);

    // Interaction answers and follow-ups are worked out the same way.
    let cmds = json!([{"name": "mentor", "description": "Mentorship", "type": 1,
        "options": [{"type": 1, "name": "list", "description": "List"}]}]);
    api.call(
        "PUT",
        &format!("/applications/{}/commands", fake.application_id()),
        Some(cmds),
    )
    .await;
    let here = Place::Guild {
        guild_id: GUILD,
        channel_id: TEXT,
    };
    let h = fake.interaction_slash(here, ALICE, SlashCommand::new("mentor").subcommand("list"));
    api.call(
        "POST",
        &format!("/interactions/{}/{}/callback", h.id, h.token),
        Some(json!({"type": 4, "data": {"content": format!("<@&{COORDINATOR_ROLE}>"), "allowed_mentions": {"parse": []}}})),
    )
    .await;
    assert!(h.original().unwrap().pinged.is_nobody());
    api.call(
        "POST",
        &format!("/webhooks/{}/{}", fake.application_id(), h.token),
        Some(json!({"content": format!("<@&{COORDINATOR_ROLE}>")})),
    )
    .await;
    assert_eq!(h.followups()[0].pinged.roles, vec![COORDINATOR_ROLE]);
    fake.assert_no_violations();
}

#[tokio::test]
async fn every_request_is_appended_to_the_record_as_one_json_line() {
    let dir = std::env::temp_dir().join(format!("fake-discord-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("requests.jsonl");
    let _ = std::fs::remove_file(&file);
    // Only this test in this binary sets it; other stand-ins of the process append too, which
    // is what the record is for.
    std::env::set_var(fake_discord::record::RECORD_ENV, &file);
    let a = setup(roomy()).await;
    let b = setup(roomy()).await;
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));
    let marker = format!("record-{}", std::process::id());
    // Two stand-ins writing at once.
    let mut calls = Vec::new();
    for i in 0..10 {
        let body = json!({"content": format!("{marker} {i}")});
        calls.push(post(&api_a, TEXT, body.clone()));
        calls.push(post(&api_b, TEXT, body));
    }
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.status, 200);
    }
    api_a.call("GET", "/users/@me", None).await;
    // A multipart request: the body recorded is its parsed payload_json.
    let form = reqwest::multipart::Form::new()
        .text("payload_json", json!({"content": format!("{marker} file")}).to_string())
        .part(
            "files[0]",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        );
    let r = api_a
        .send(
            api_a
                .client
                .post(format!("https://discord.com/api/v10/channels/{TEXT}/messages"))
                .header("Authorization", format!("Bot {}", a.bot_token()))
                .multipart(form),
        )
        .await;
    assert_eq!(r.status, 200);
    std::env::remove_var(fake_discord::record::RECORD_ENV);

    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut mine = 0;
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON line: {line}: {e}"));
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "{line}");
        assert!(line.starts_with("{\"method\": "), "{line}");
        assert!(
            line.contains(", \"path\": \"/api/v10/") && line.contains(", \"body\": "),
            "{line}"
        );
        if v["body"]["content"].as_str().is_some_and(|c| c.starts_with(&marker)) {
            mine += 1;
            assert_eq!(v["method"], "POST");
            assert_eq!(v["path"], format!("/api/v10/channels/{TEXT}/messages"));
        }
    }
    assert_eq!(mine, 21, "20 messages from two stand-ins and one multipart");
    assert!(lines.contains(&"{\"method\": \"GET\", \"path\": \"/api/v10/users/@me\", \"body\": null}"));
    assert_eq!(
        fake_discord::record::line("POST", "/api/v10/channels/12/messages", Some(&json!({"content": "hi"}))),
        "{\"method\": \"POST\", \"path\": \"/api/v10/channels/12/messages\", \"body\": {\"content\":\"hi\"}}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
    a.assert_no_violations();
    b.assert_no_violations();
}
