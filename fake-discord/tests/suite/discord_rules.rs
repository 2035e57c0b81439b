//! Discord's rules the OpenAPI description cannot express, each refused as Discord refuses it
//! (400 / 50035 "Invalid Form Body"), recorded as a violation naming the judge and the rule, and
//! changing nothing: message content, components, embeds, modals, autocomplete answers, select
//! menus, command registration, and the interactions a test may inject.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::common::*;
use fake_discord::{FakeDiscord, InteractionHandle, Place, SlashCommand, ViolationKind};
use serde_json::{json, Value};

const IN_GUILD: Place = Place::Guild {
    guild_id: GUILD,
    channel_id: TEXT,
};

/// Asserts the reply is Discord's refusal of a body and that `rule` was recorded by the
/// stand-in's judge, and, when `twilight` names a check, by twilight-validate too. Forgets the
/// violations.
fn refused(fake: &FakeDiscord, r: &Reply, rule: &str, twilight: Option<&str>) {
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.json()["code"], 50035);
    assert_eq!(r.json()["message"], "Invalid Form Body");
    let v = fake.take_spec_violations();
    assert!(
        v.iter().any(|x| x.kind == ViolationKind::DiscordRule
            && x.rule.as_deref() == Some(rule)
            && x.judge() == "stand-in"),
        "no stand-in violation {rule}: {v:#?}"
    );
    if let Some(t) = twilight {
        assert!(
            v.iter().any(|x| x.kind == ViolationKind::Twilight
                && x.rule.as_deref() == Some(t)
                && x.judge() == "twilight-validate"),
            "no twilight violation {t}: {v:#?}"
        );
    }
}

fn text(n: usize) -> String {
    // Multi-byte characters: Discord counts characters, not bytes.
    "é".repeat(n)
}

fn button(id: &str) -> Value {
    json!({"type": 2, "style": 1, "label": "Go", "custom_id": id})
}

fn row(children: Vec<Value>) -> Value {
    json!({"type": 1, "components": children})
}

async fn command_interaction(fake: &FakeDiscord, api: &Api) -> InteractionHandle {
    let app = fake.application_id();
    let cmds = json!([{"name": "mentor", "description": "Mentorship", "type": 1,
        "options": [{"type": 1, "name": "list", "description": "List"}]}]);
    let r = api
        .call("PUT", &format!("/applications/{app}/commands"), Some(cmds))
        .await;
    assert_eq!(r.status, 200);
    fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("list"))
}

#[tokio::test]
async fn content_over_2000_characters_is_refused_on_every_create_and_edit() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let app = fake.application_id();
    let long = || json!({"content": text(2001)});
    let rule = "message.content_length";
    let tw = Some("twilight:message::content");

    // A channel message: 2,000 characters pass, 2,001 do not and nothing is posted.
    let path = format!("/channels/{TEXT}/messages");
    let ok = api.call("POST", &path, Some(json!({"content": text(2000)}))).await;
    assert_eq!(ok.status, 200);
    refused(&fake, &api.call("POST", &path, Some(long())).await, rule, tw);
    assert_eq!(fake.messages_in(TEXT).len(), 1);
    // Its edit.
    let mid = id_of(ok.json());
    refused(
        &fake,
        &api.call("PATCH", &format!("{path}/{mid}"), Some(long())).await,
        rule,
        tw,
    );
    assert_eq!(fake.message(mid).unwrap().content, text(2000));
    // A DM and a thread.
    let dm = id_of(
        api.call(
            "POST",
            "/users/@me/channels",
            Some(json!({"recipient_id": ALICE.to_string()})),
        )
        .await
        .json(),
    );
    refused(
        &fake,
        &api.call("POST", &format!("/channels/{dm}/messages"), Some(long()))
            .await,
        rule,
        tw,
    );
    let thread = id_of(
        api.call(
            "POST",
            &format!("/channels/{TEXT}/threads"),
            Some(json!({"name": "t", "type": 12})),
        )
        .await
        .json(),
    );
    refused(
        &fake,
        &api.call("POST", &format!("/channels/{thread}/messages"), Some(long()))
            .await,
        rule,
        tw,
    );
    assert!(fake.messages_in(dm).is_empty() && fake.messages_in(thread).is_empty());

    // An interaction response: refused, and the interaction stays unanswered.
    let h = command_interaction(&fake, &api).await;
    let callback = format!("/interactions/{}/{}/callback", h.id, h.token);
    refused(
        &fake,
        &api.call("POST", &callback, Some(json!({"type": 4, "data": long()})))
            .await,
        rule,
        tw,
    );
    assert!(h.response().is_none());
    let r = api
        .call("POST", &callback, Some(json!({"type": 4, "data": {"content": "ok"}})))
        .await;
    assert_eq!(r.status, 204);
    // A follow-up, an edit of @original and of a follow-up.
    let followups = format!("/webhooks/{app}/{}", h.token);
    refused(&fake, &api.call("POST", &followups, Some(long())).await, rule, tw);
    refused(
        &fake,
        &api.call("PATCH", &format!("{followups}/messages/@original"), Some(long()))
            .await,
        rule,
        tw,
    );
    let f = api.call("POST", &followups, Some(json!({"content": "more"}))).await;
    assert_eq!(f.status, 200);
    let fid = id_of(f.json());
    refused(
        &fake,
        &api.call("PATCH", &format!("{followups}/messages/{fid}"), Some(long()))
            .await,
        rule,
        tw,
    );
    assert_eq!(h.original().unwrap().content, "ok");
    assert_eq!(h.followups()[0].content, "more");

    // An update of the message a button is on (callback type 7).
    let msg = fake.add_message_json(
        TEXT,
        fake.bot_user_id(),
        json!({"content": "x", "components": [row(vec![button("b:1")])]}),
    );
    let b = fake.interaction_button(msg, ALICE, "b:1");
    refused(
        &fake,
        &api.call(
            "POST",
            &format!("/interactions/{}/{}/callback", b.id, b.token),
            Some(json!({"type": 7, "data": long()})),
        )
        .await,
        rule,
        tw,
    );
    assert_eq!(fake.message(msg).unwrap().content, "x");
    fake.assert_no_violations();
}

#[tokio::test]
async fn at_most_five_rows_of_five_buttons_each_with_a_custom_id_or_a_url() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let rows = |n: usize, per: usize| -> Value {
        Value::Array(
            (0..n)
                .map(|r| row((0..per).map(|b| button(&format!("b:{r}:{b}"))).collect()))
                .collect(),
        )
    };
    // Five rows of five: the most Discord allows.
    let ok = api
        .call("POST", &path, Some(json!({"content": "x", "components": rows(5, 5)})))
        .await;
    assert_eq!(ok.status, 200, "{:?}", fake.spec_violations());
    assert_eq!(fake.messages_in(TEXT)[0].custom_ids().len(), 25);

    let r = api
        .call("POST", &path, Some(json!({"content": "x", "components": rows(6, 1)})))
        .await;
    refused(&fake, &r, "components.rows", Some("twilight:message::components"));
    let r = api
        .call("POST", &path, Some(json!({"content": "x", "components": rows(1, 6)})))
        .await;
    refused(&fake, &r, "components.row_size", Some("twilight:message::components"));
    let both = json!({"type": 2, "style": 5, "label": "Open", "custom_id": "x", "url": "https://example.com"});
    let r = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "x", "components": [row(vec![both])]})),
        )
        .await;
    refused(
        &fake,
        &r,
        "button.custom_id_or_url",
        Some("twilight:message::components"),
    );
    let neither = json!({"type": 2, "style": 1, "label": "Go"});
    let r = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "x", "components": [row(vec![neither])]})),
        )
        .await;
    refused(&fake, &r, "button.custom_id_or_url", None);
    // A link button with only a url is fine.
    let link = json!({"type": 2, "style": 5, "label": "Open", "url": "https://example.com"});
    let r = api
        .call(
            "POST",
            &path,
            Some(json!({"content": "x", "components": [row(vec![link])]})),
        )
        .await;
    assert_eq!(r.status, 200);
    // Edits are held to the same rules.
    let mid = id_of(ok.json());
    let r = api
        .call(
            "PATCH",
            &format!("{path}/{mid}"),
            Some(json!({"components": rows(6, 1)})),
        )
        .await;
    refused(&fake, &r, "components.rows", Some("twilight:message::components"));
    assert_eq!(fake.messages_in(TEXT).len(), 2);
    fake.assert_no_violations();
}

#[tokio::test]
async fn embeds_hold_at_most_6000_characters_in_all() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let embeds =
        |a: usize, b: usize| json!({"embeds": [{"description": text(a)}, {"title": "t", "description": text(b)}]});
    // 3,000 + 1 + 2,999 = 6,000: allowed.
    assert_eq!(api.call("POST", &path, Some(embeds(3000, 2999))).await.status, 200);
    let r = api.call("POST", &path, Some(embeds(3000, 3000))).await;
    refused(&fake, &r, "embeds.total_length", Some("twilight:message::embeds"));
    // One field over its own limit.
    let r = api
        .call(
            "POST",
            &path,
            Some(json!({"embeds": [{"fields": [{"name": "n", "value": text(1025)}]}]})),
        )
        .await;
    refused(&fake, &r, "embed.field_length", Some("twilight:message::embeds"));
    assert_eq!(fake.messages_in(TEXT).len(), 1);
    fake.assert_no_violations();
}

fn input(id: &str, label: &str) -> Value {
    json!({"type": 4, "custom_id": id, "label": label, "style": 1})
}

#[tokio::test]
async fn modals_hold_five_rows_of_one_text_input_and_short_titles_and_labels() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let modal = |title: &str, rows: Vec<Value>| json!({"type": 9, "data": {"custom_id": "f", "title": title, "components": rows}});
    let five: Vec<Value> = (0..5)
        .map(|i| row(vec![input(&format!("i{i}"), &"L".repeat(45))]))
        .collect();
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (
            modal(
                "Form",
                (0..6).map(|i| row(vec![input(&format!("i{i}"), "L")])).collect(),
            ),
            "modal.rows",
            Some("twilight:component::COMPONENT_COUNT"),
        ),
        (
            modal("Form", vec![row(vec![input("a", "A"), input("b", "B")])]),
            "modal.one_input_per_row",
            None,
        ),
        (
            modal(&"T".repeat(46), vec![row(vec![input("a", "A")])]),
            "modal.title_length",
            None,
        ),
        (
            modal("Form", vec![row(vec![input("a", &"L".repeat(46))])]),
            "modal.label_length",
            Some("twilight:component"),
        ),
        (
            modal("Form", vec![row(vec![button("x")])]),
            "modal.one_input_per_row",
            None,
        ),
        (
            modal(
                "Form",
                vec![row(vec![json!({"type": 4, "custom_id": "a", "label": "A", "style": 1,
                    "max_length": 10, "value": text(11)})])],
            ),
            "modal.text_input",
            None,
        ),
    ];
    let h = command_interaction(&fake, &api).await;
    let callback = format!("/interactions/{}/{}/callback", h.id, h.token);
    for (body, rule, tw) in cases {
        refused(&fake, &api.call("POST", &callback, Some(body)).await, rule, tw);
        assert!(h.response().is_none(), "a refused modal answers nothing");
    }
    // A value as long as its input's max_length is taken.
    let full = json!({"type": 4, "custom_id": "a", "label": "A", "style": 1, "max_length": 10, "value": text(10)});
    let h2 = command_interaction(&fake, &api).await;
    let callback2 = format!("/interactions/{}/{}/callback", h2.id, h2.token);
    let r = api
        .call("POST", &callback2, Some(modal("Form", vec![row(vec![full])])))
        .await;
    assert_eq!(r.status, 204, "{:?}", fake.spec_violations());
    // Five rows, a 45-character title and labels: the most Discord allows.
    let r = api.call("POST", &callback, Some(modal(&"T".repeat(45), five))).await;
    assert_eq!(r.status, 204, "{:?}", fake.spec_violations());
    assert!(h.response().unwrap().is_modal());
    fake.assert_no_violations();
}

#[tokio::test]
async fn autocomplete_answers_hold_25_choices_of_100_characters() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let app = fake.application_id();
    let cmds = json!([{"name": "profile", "description": "Profile", "type": 1, "options": [
        {"type": 3, "name": "timezone", "description": "Zone", "autocomplete": true}]}]);
    api.call("PUT", &format!("/applications/{app}/commands"), Some(cmds))
        .await;
    let choices = |n: usize, name: &str, value: &str| json!({"type": 8, "data": {"choices": (0..n).map(|i| json!({"name": format!("{name}{i}"), "value": format!("{value}{i}")})).collect::<Vec<_>>()}});
    let ask = || fake.interaction_autocomplete(IN_GUILD, ALICE, SlashCommand::new("profile").focus("timezone", "Eu"));
    let cases = [
        (
            choices(26, "n", "v"),
            "autocomplete.choices",
            "twilight:command::CHOICES_LIMIT",
        ),
        (
            choices(1, &"n".repeat(100), "v"),
            "autocomplete.choice_length",
            "twilight:command::choice",
        ),
        (
            choices(1, "n", &"v".repeat(100)),
            "autocomplete.choice_length",
            "twilight:command::choice",
        ),
    ];
    for (body, rule, tw) in cases {
        let h = ask();
        let r = api
            .call(
                "POST",
                &format!("/interactions/{}/{}/callback", h.id, h.token),
                Some(body),
            )
            .await;
        refused(&fake, &r, rule, Some(tw));
    }
    let h = ask();
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(choices(25, &"n".repeat(98), &"v".repeat(98))),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", fake.spec_violations());
    assert_eq!(h.response().unwrap().choices().len(), 25);
    fake.assert_no_violations();
}

fn select(id: &str, options: usize, label: &str, value: &str) -> Value {
    json!({"type": 3, "custom_id": id, "options": (0..options)
        .map(|i| json!({"label": format!("{label}{i}"), "value": format!("{value}{i}")}))
        .collect::<Vec<_>>()})
}

#[tokio::test]
async fn select_menus_hold_25_options_of_100_characters_one_per_row_five_per_message() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/channels/{TEXT}/messages");
    let post = |components: Value| {
        api.call(
            "POST",
            &path,
            Some(json!({"content": "pick", "components": components})),
        )
    };
    let tw = Some("twilight:message::components");
    refused(
        &fake,
        &post(json!([row(vec![select("s", 26, "l", "v")])])).await,
        "select.options",
        tw,
    );
    refused(
        &fake,
        &post(json!([row(vec![select("s", 1, &"l".repeat(100), "v")])])).await,
        "select.option_length",
        tw,
    );
    refused(
        &fake,
        &post(json!([row(vec![select("s", 1, "l", &"v".repeat(100))])])).await,
        "select.option_length",
        tw,
    );
    refused(
        &fake,
        &post(json!([row(vec![select("s", 2, "l", "v"), button("b")])])).await,
        "select.one_per_row",
        None,
    );
    let six: Vec<Value> = (0..6)
        .map(|i| row(vec![select(&format!("s{i}"), 2, "l", "v")]))
        .collect();
    refused(&fake, &post(Value::Array(six)).await, "components.rows", tw);
    // Five menus of 25 options with 99-character labels and values: the most Discord allows.
    let five: Vec<Value> = (0..5)
        .map(|i| row(vec![select(&format!("s{i}"), 25, &"l".repeat(98), &"v".repeat(98))]))
        .collect();
    let r = post(Value::Array(five)).await;
    assert_eq!(r.status, 200, "{:?}", fake.spec_violations());
    assert_eq!(fake.messages_in(TEXT).len(), 1);
    fake.assert_no_violations();
}

fn command(name: &str, description: &str, options: Value) -> Value {
    json!({"name": name, "description": description, "type": 1, "options": options})
}

fn opt(name: &str, required: bool) -> Value {
    json!({"type": 3, "name": name, "description": "d", "required": required})
}

#[tokio::test]
async fn command_registration_follows_discords_rules() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/applications/{}/commands", fake.application_id());
    let good = command("mentor", "Mentorship", json!([opt("who", true), opt("why", false)]));
    assert_eq!(api.call("PUT", &path, Some(json!([good]))).await.status, 200);
    let choices: Vec<Value> = (0..26)
        .map(|i| json!({"name": format!("c{i}"), "value": format!("v{i}")}))
        .collect();
    let sub = json!({"type": 1, "name": "list", "description": "List"});
    let tw_cmd = Some("twilight:command::command");
    let tw_opts = Some("twilight:command::options");
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (command("Mentor", "d", json!([])), "command.name", tw_cmd),
        (command("two words", "d", json!([])), "command.name", tw_cmd),
        (command(&"a".repeat(33), "d", json!([])), "command.name", tw_cmd),
        (command("mentor", &"d".repeat(101), json!([])), "command.description", tw_cmd),
        (command("mentor", "", json!([])), "command.description", tw_cmd),
        (
            command("mentor", "d", Value::Array((0..26).map(|i| opt(&format!("o{i}"), false)).collect())),
            "command.options_count",
            tw_opts,
        ),
        (
            command("mentor", "d", json!([{"type": 3, "name": "c", "description": "d", "choices": choices}])),
            "command.choices_count",
            None,
        ),
        (command("mentor", "d", json!([opt("why", false), opt("who", true)])), "command.required_first", tw_opts),
        (command("mentor", "d", json!([sub, opt("who", false)])), "command.subcommand_mix", None),
        (
            command("mentor", "d", json!([{"type": 3, "name": "Who", "description": "d"}])),
            "command.name",
            tw_opts,
        ),
        (
            command(
                "mentor",
                "d",
                Value::Array(
                    (0..20)
                        .map(|i| {
                            json!({"type": 1, "name": format!("s{i}"), "description": "d".repeat(100), "options":
                            (0..4).map(|j| json!({"type": 3, "name": format!("o{j}"), "description": "d".repeat(100)})).collect::<Vec<_>>()})
                        })
                        .collect(),
                ),
            ),
            "command.total_length",
            tw_cmd,
        ),
    ];
    for (c, rule, tw) in cases {
        let r = api.call("PUT", &path, Some(json!([c]))).await;
        refused(&fake, &r, rule, tw);
        assert_eq!(
            fake.global_commands()[0]["options"][0]["name"],
            "who",
            "a refused overwrite changes nothing"
        );
    }
    fake.assert_no_violations();
}

#[tokio::test]
async fn where_the_judges_disagree_discords_documentation_decides() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/applications/{}/commands", fake.application_id());
    // Discord: at most 8,000 characters per command; twilight-validate 0.18: 4,000. A command of
    // 5,000-odd characters is accepted, as Discord accepts it.
    let big = command(
        "mentor",
        "d",
        Value::Array(
            (0..10)
                .map(|i| {
                    json!({"type": 1, "name": format!("s{i}"), "description": "d".repeat(100), "options":
                    (0..4).map(|j| json!({"type": 3, "name": format!("o{j}"), "description": "d".repeat(100)})).collect::<Vec<_>>()})
                })
                .collect(),
        ),
    );
    let r = api.call("PUT", &path, Some(json!([big]))).await;
    assert_eq!(r.status, 200, "{:?}", fake.spec_violations());
    // Discord's naming regex allows `'`; twilight-validate refuses it.
    let r = api
        .call("PUT", &path, Some(json!([command("don't", "Do not", json!([]))])))
        .await;
    assert_eq!(r.status, 200, "{:?}", fake.spec_violations());
    fake.assert_no_violations();
    let overruled = fake.overruled();
    let rules: Vec<&str> = overruled.iter().filter_map(|v| v.rule.as_deref()).collect();
    assert_eq!(
        rules,
        vec!["twilight:command::command", "twilight:command::command"],
        "{overruled:#?}"
    );
    assert!(overruled[0].details[0].contains("4000"), "{overruled:#?}");
    assert_eq!(fake_discord::twilight_judge::DISAGREEMENTS.len(), 2);
    assert!(fake_discord::twilight_judge::DISAGREEMENTS[0].1.contains("8000"));
}

fn panics(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("the stand-in refuses what Discord would never send");
    e.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[tokio::test]
async fn injected_interactions_must_fit_the_registered_commands() {
    let fake = setup(roomy()).await;
    let api = Api::new(&fake);
    let path = format!("/applications/{}/commands", fake.application_id());
    let cmds = json!([
        {"name": "mentor", "description": "Mentorship", "type": 1, "options": [
            {"type": 1, "name": "request", "description": "Ask", "options": [
                {"type": 6, "name": "user", "description": "Who", "required": true},
                {"type": 3, "name": "purpose", "description": "Why", "max_length": 10},
                {"type": 3, "name": "zone", "description": "Zone", "autocomplete": true},
                {"type": 4, "name": "weeks", "description": "How long", "min_value": 1, "max_value": 52}
            ]}
        ]},
        {"name": "program", "description": "Admin", "type": 1, "contexts": [0]}
    ]);
    assert_eq!(api.call("PUT", &path, Some(cmds)).await.status, 200);
    let req = || SlashCommand::new("mentor").subcommand("request").user("user", BOB);
    // What Discord's client can send passes.
    fake.interaction_slash(IN_GUILD, ALICE, req().str("purpose", "Rust").int("weeks", 12));
    fake.interaction_autocomplete(IN_GUILD, ALICE, req().focus("zone", "Eu"));
    for (what, f, expect) in [
        (
            "unknown command",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("nope")))) as Box<dyn FnOnce()>,
            "never registered",
        ),
        (
            "unknown subcommand",
            Box::new(|| {
                drop(fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("withdraw")))
            }),
            "no subcommand",
        ),
        (
            "unknown option",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, req().str("colour", "red")))),
            "no option `colour`",
        ),
        (
            "wrong type",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, req().int("purpose", 3)))),
            "of type 3",
        ),
        (
            "missing required",
            Box::new(|| {
                drop(fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor").subcommand("request")))
            }),
            "required",
        ),
        (
            "too long",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, req().str("purpose", "eleven char")))),
            "0 to 10 characters",
        ),
        (
            "out of range",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, req().int("weeks", 53)))),
            "the test gives 53",
        ),
        (
            "no autocomplete",
            Box::new(|| drop(fake.interaction_autocomplete(IN_GUILD, ALICE, req().focus("purpose", "R")))),
            "has no autocomplete",
        ),
        (
            "guild only in a DM",
            Box::new(|| drop(fake.interaction_slash(Place::Dm, ALICE, SlashCommand::new("program")))),
            "not available in DMs",
        ),
        (
            "bare command",
            Box::new(|| drop(fake.interaction_slash(IN_GUILD, ALICE, SlashCommand::new("mentor")))),
            "needs a subcommand",
        ),
    ] {
        let msg = panics(f);
        assert!(msg.contains(expect), "{what}: {msg}");
    }

    // Buttons and selects must be on the message; forms filled as the modal allows.
    let msg = fake.add_message_json(
        TEXT,
        fake.bot_user_id(),
        json!({"content": "x", "components": [row(vec![button("b:1")]), row(vec![select("s", 3, "l", "v")])]}),
    );
    fake.interaction_button(msg, ALICE, "b:1");
    fake.interaction_select(msg, ALICE, "s", &["v1"]);
    assert!(panics(|| drop(fake.interaction_button(msg, ALICE, "b:2"))).contains("no component `b:2`"));
    assert!(panics(|| drop(fake.interaction_select(msg, ALICE, "s", &["zz"]))).contains("no option `zz`"));
    assert!(panics(|| drop(fake.interaction_select(msg, ALICE, "b:1", &["v1"]))).contains("type 2"));
    let h = fake.interaction_slash(IN_GUILD, ALICE, req());
    let modal = json!({"type": 9, "data": {"custom_id": "f", "title": "Form", "components": [
        row(vec![json!({"type": 4, "custom_id": "goal", "label": "Goal", "style": 1, "max_length": 5})]),
        row(vec![json!({"type": 4, "custom_id": "note", "label": "Note", "style": 2, "required": false})])
    ]}});
    let r = api
        .call(
            "POST",
            &format!("/interactions/{}/{}/callback", h.id, h.token),
            Some(modal),
        )
        .await;
    assert_eq!(r.status, 204);
    fake.submit_modal(&h, &[("goal", "Rust")]);
    assert!(panics(|| drop(fake.submit_modal(&h, &[("goal", "Rust!!")]))).contains("0 to 5"));
    assert!(panics(|| drop(fake.submit_modal(&h, &[("note", "x")]))).contains("`goal` is required"));
    assert!(panics(|| drop(fake.submit_modal(&h, &[("goal", "a"), ("other", "x")]))).contains("no text input `other`"));
    // The stand-in stays usable after a refused injection.
    assert_eq!(api.call("GET", "/users/@me", None).await.status, 200);
    fake.assert_no_violations();
}
