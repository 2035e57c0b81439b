//! The hostile-input suite through the Discord stand-in (issue 12): about 200 of the same random
//! interactions as `hostile.rs`, as real gateway interactions to the real bot. Slash commands use
//! the options the bot registered with the stand-in; buttons and forms carry forged custom ids and
//! come from members in the server and from people who left, bots and strangers in DMs. Every one
//! is answered; a refused one (an error the bot counted, or options Discord would not parse)
//! changes no table; and no message anyone receives (DMs with their files, ephemeral answers,
//! posts) holds another member's private words.
use crate::common;
use crate::hostile;

use std::collections::HashSet;
use std::time::Duration;

use common::discord::{cmd, here, Harness, WAIT};
use common::fixtures::*;
use common::World;
use fake_discord::{FakeUser, OptionValue, Place};
use hostile::*;
use mentorbot::discord::ids::{metric_label, CustomId};
use mentorbot::metrics::{sample, Snapshot};

const SEED: [u8; 32] = *b"hostile through the stand-in 12!";
const COUNT: u64 = 200;

/// The handled count of a command, button or form, by outcome.
fn handled(h: &Harness, label: &str) -> (f64, f64) {
    let text = h.app.metrics.render(&Snapshot::default());
    let n = |outcome| {
        sample(
            &text,
            "mentorbot_commands_total",
            &[("command", label), ("outcome", outcome)],
        )
        .unwrap_or(0.0)
    };
    (n("ok"), n("error"))
}

fn label(act: &Act) -> String {
    match act {
        Act::Command { path, .. } => path.clone(),
        Act::Button { custom_id, .. } => metric_label(false, CustomId::parse(custom_id).map(|c| c.action)),
        Act::Form { custom_id, .. } => metric_label(true, CustomId::parse(custom_id).map(|c| c.action)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_hostile_interactions_through_discord() {
    let h = Harness::start(World::sqlite().await).await;
    let mut markers = Markers::default();
    seed(&h.world, &mut markers).await;
    for u in [LEFT, OUTSIDER, ELSEWHERE] {
        h.fake.add_user(FakeUser::new(u.0, "someone"));
    }
    let mut pools = Pools::default();
    pools.refresh(&h.world.store).await;
    let specs = registered_from_json(&h.fake.global_commands());
    assert!(specs.len() >= 25, "{specs:?}");
    let snap = Snapshotter::new(&h.world).await;
    // Buttons hang on a message in the server and on one in each person's DMs.
    let board = h.fake.add_message(here_channel(), h.fake.bot_user_id(), "buttons");
    let mut g = Gen::new(SEED);
    let mut tally = Tally::default();
    let mut seen: HashSet<u64> = h.fake.messages().iter().map(|m| m.id).collect();
    for step in 0..COUNT {
        if step % 25 == 0 {
            let drafts = std::mem::take(&mut pools.drafts);
            pools.refresh(&h.world.store).await;
            pools.drafts = drafts;
        }
        let mut act = act(&mut g, &specs, &pools, &mut markers, step);
        // Only what Discord's client can send for the registered options reaches the bot.
        if let Act::Command { path, values, .. } = &mut act {
            if let Some(spec) = specs.iter().find(|c| c.path.join(" ") == *path) {
                for (name, v) in values.iter_mut() {
                    if let Some(o) = spec.options.iter().find(|o| o.name == *name) {
                        *v = as_client_sends(o, v);
                    }
                }
            }
        }
        let who = act.who();
        let member = [MENTOR, MENTEE, PEER3, PEER4, STRANGER].contains(&who.user);
        // Only people in the server run its commands (Discord sends no other).
        if let Act::Command { who: w, .. } = &mut act {
            if !member {
                *w = Who {
                    user: MENTEE,
                    bot: false,
                };
            }
        }
        let who = act.who();
        let label = label(&act);
        let counted = handled(&h, &label);
        let before = snap.take().await;
        let handle = match &act {
            Act::Command { path, values, .. } => {
                let mut c = cmd(path);
                for (name, v) in values {
                    c = c.opt(
                        name,
                        match v {
                            OptValue::Text(s) => OptionValue::String(s.clone()),
                            OptValue::Int(n) => OptionValue::Integer(*n),
                            OptValue::Bool(b) => OptionValue::Boolean(*b),
                            OptValue::User(w) => OptionValue::User(w.user.0),
                            OptValue::Id(id) if name.contains("role") => OptionValue::Role(*id),
                            OptValue::Id(id) => OptionValue::Channel(*id),
                            OptValue::Number(x) => OptionValue::Number(*x),
                            OptValue::File(bytes) => OptionValue::Attachment(fake_discord::FakeAttachment::new(
                                "people.csv",
                                Some("text/csv"),
                                bytes.clone(),
                            )),
                        },
                    );
                }
                h.fake.interaction_slash(here(), who.user.0, c)
            }
            Act::Button { custom_id, .. } => {
                let message = if member && g.chance(70) {
                    board
                } else {
                    let dm = h.fake.open_dm(who.user.0);
                    h.fake.add_message(dm, h.fake.bot_user_id(), "buttons")
                };
                h.fake.interaction_button_forged(message, who.user.0, custom_id)
            }
            Act::Form { custom_id, fields, .. } => {
                let place = if member { here() } else { Place::Dm };
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                h.fake.interaction_modal_submit(place, who.user.0, custom_id, &fields)
            }
        };
        let response = handle
            .try_wait_response(WAIT)
            .await
            .unwrap_or_else(|| panic!("step {step}: no answer to {act:?}"));
        // Done when the bot counted it (or Discord-side parsing refused the options).
        // poise answers these itself, before the command runs (and counts nothing).
        let parse_refused = response.content().is_some_and(|c| {
            c.starts_with("Please check the options")
                || c == "Only server admins and the program's coordinators can do that."
        });
        let deadline = tokio::time::Instant::now() + WAIT;
        let (ok, error) = loop {
            let now = handled(&h, &label);
            if now.0 + now.1 > counted.0 + counted.1 || parse_refused {
                break now;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "step {step}: {act:?} never finished: {response:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let refused = parse_refused || error > counted.1;
        let mut text = response.content().unwrap_or_default().to_string();
        if text.is_empty() {
            // A deferral: the answer is the follow-up.
            text = handle.followups().last().map(|m| m.content.clone()).unwrap_or_default();
        }
        let outcome = if refused {
            Outcome::Refused(if text.is_empty() {
                "refused after a deferral".into()
            } else {
                text
            })
        } else {
            let _ = ok;
            Outcome::Accepted(text)
        };
        tally.note(&act, &outcome);
        if refused {
            let after = snap.take().await;
            // Every interaction made in the server records its author as a member (README,
            // privacy): someone who had asked to be forgotten is one again, whatever the command.
            let seen_member = format!("guild_members:{}|{}|", GUILD.0, who.user.0);
            let changed = |a: &Vec<String>, b: &Vec<String>| {
                a.iter()
                    .filter(|r| !b.contains(r))
                    .any(|r| !(member && r.starts_with(&seen_member)))
            };
            if changed(&after, &before) || changed(&before, &after) {
                let new: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
                tally
                    .failures
                    .push(format!("step {step}: refused but changed {new:?}: {act:?}"));
            }
        } else {
            register_written(&h.world.engine, &mut markers, &act, &outcome).await;
        }
        // Everything the bot sent since: who may read it, and whether it holds words they may not.
        for m in h.fake.messages() {
            if !seen.insert(m.id) {
                continue;
            }
            let mut body = m.content.clone();
            for a in &m.attachments {
                body.push_str(&String::from_utf8_lossy(&a.data));
            }
            let reader = if m.is_ephemeral() {
                Some(who.user)
            } else {
                h.fake
                    .channel(m.channel_id)
                    .and_then(|c| c.recipient_id)
                    .map(mentorbot::domain::UserId)
            };
            match reader {
                Some(r) => {
                    let leaked = markers.leaked(&h.world.store, r, &body).await;
                    if !leaked.is_empty() {
                        tally
                            .failures
                            .push(format!("step {step}: {leaked:?} reached {r} after {act:?}"));
                    }
                }
                None => {
                    let found = find_markers(&body);
                    if found.iter().any(|f| markers.by_id.contains_key(f)) {
                        tally
                            .failures
                            .push(format!("step {step}: {found:?} posted in a channel after {act:?}"));
                    }
                }
            }
        }
    }
    tally.print("through the Discord stand-in");
    tally.assert_sound(COUNT);
    h.shutdown().await;
}

fn here_channel() -> u64 {
    match here() {
        Place::Guild { channel_id, .. } => channel_id,
        Place::Dm => unreachable!("the fixture's place is a server channel"),
    }
}
