//! The program file built from a server's data, the bonus for people left unplaced, and
//! publishing, on both backends.
use crate::common;

use common::fixtures::*;
use common::World;
use mentorbot::clock::Clock;
use mentorbot::domain::listing::{Kind, OfferInput, RequestInput};
use mentorbot::domain::relationship::{Origin, State};
use mentorbot::domain::UserId;
use mentorbot::engine::{Direction, Error};
use mentorbot::matching;
use serde_json::json;

const ORGANISER: UserId = UserId(900_000_000_000_000_050);

fn request(goals: &[&str], kinds: &[&str]) -> RequestInput {
    RequestInput {
        purpose: format!("Grow in {}", goals.join(" and ")),
        goals: goals.iter().map(|g| g.to_string()).collect(),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        styles: vec![],
    }
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

async fn the_program_file_reflects_the_server(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada", "Europe/Berlin"))
        .await
        .unwrap();
    e.set_profile(GUILD, MENTEE, &profile("Grace", "America/New_York"))
        .await
        .unwrap();
    e.set_profile(GUILD, PEER3, &profile("Linus", "Europe/Helsinki"))
        .await
        .unwrap();
    e.set_profile(GUILD, STRANGER, &profile("Mallory", "Asia/Tokyo"))
        .await
        .unwrap();
    // Two offers of the same mentor are one entry: places left summed, names unioned.
    let a = e.create_offer(GUILD, MENTOR, &offer_input(2)).await.unwrap();
    let b = e
        .create_offer(
            GUILD,
            MENTOR,
            &OfferInput {
                purpose: "Databases".into(),
                topics: vec!["Databases".into(), "RUST".into()],
                skills: vec!["sql".into()],
                kinds: vec!["classic".into()],
                capacity: 1,
                hopes_to_learn: None,
            },
        )
        .await
        .unwrap();
    // Linus takes one of offer a's places.
    e.create_request(GUILD, PEER3, &request_input()).await.unwrap();
    let taken = e
        .propose_direct(GUILD, PEER3, MENTOR, Kind::Classic, Direction::Request, "Learn")
        .await
        .unwrap();
    assert_eq!(taken.offer, Some(a.id));
    e.accept(GUILD, taken.id, MENTOR).await.unwrap();
    // Mallory was declined by Ada once: never paired again.
    e.create_request(GUILD, STRANGER, &request(&["rust"], &["classic"]))
        .await
        .unwrap();
    let declined = e
        .propose_direct(GUILD, STRANGER, MENTOR, Kind::Classic, Direction::Request, "Please")
        .await
        .unwrap();
    e.decline(GUILD, declined.id, MENTOR).await.unwrap();
    // Grace: her oldest classic-or-reverse request counts; a peer-only one does not.
    e.create_request(GUILD, MENTEE, &request(&["peer stuff"], &["peer"]))
        .await
        .unwrap();
    let oldest = e
        .create_request(GUILD, MENTEE, &request(&["Rust", "career"], &["reverse"]))
        .await
        .unwrap();
    e.create_request(GUILD, MENTEE, &request(&["go"], &["classic"]))
        .await
        .unwrap();
    // Margaret has a request but no profile: left out, with why.
    e.create_request(GUILD, PEER4, &request(&["rust"], &[])).await.unwrap();

    let file = e.program_file(GUILD, true).await.unwrap();
    let j = &file.json;
    assert_eq!(j["at"], json!("2026-03-02T09:00:00Z"), "the engine clock's now");
    assert_eq!(ids(&j["mentors"]), vec![MENTOR.0.to_string()]);
    let m = &j["mentors"][0];
    assert_eq!(m["capacity"], json!(2), "1 left of a, 1 of b");
    assert_eq!(m["topics"], json!(["rust", "career", "Databases"]));
    assert_eq!(m["skills"], json!(["code review", "sql"]));
    assert_eq!(m["kinds"], json!(["classic", "reverse"]));
    assert_eq!(m["styles"], json!(["coaching"]));
    assert_eq!(m["timezone"], json!("Europe/Berlin"));
    assert_eq!(m["availability"], json!(["tue 18:00-20:00", "sat 10:00-14:00"]));
    assert_eq!(m["methods"], json!(["video", "voice"]));
    assert_eq!(ids(&j["mentees"]), vec![STRANGER.0.to_string(), MENTEE.0.to_string()]);
    let grace = &j["mentees"][1];
    assert_eq!(grace["goals"], json!(["Rust", "career"]));
    assert_eq!(grace["kind"], json!("reverse"));
    assert_eq!(
        grace["styles"],
        json!(["hands-on"]),
        "no request styles: the profile's learning styles"
    );
    assert_eq!(file.mentees[1].request.id, oldest.id);
    assert_eq!(
        j["exclude"],
        json!([[MENTOR.0.to_string(), STRANGER.0.to_string()]]),
        "the declined pair; Linus is no mentee here"
    );
    assert_eq!(file.left_out.len(), 1);
    assert_eq!(file.left_out[0].user, PEER4);
    assert!(file.left_out[0].reason.contains("no profile"));

    let program = matching::parse_program(&file.text()).expect("the file parses");
    let result = matching::solve(&program);
    assert_eq!(result.pairs.len(), 1);
    assert_eq!(result.pairs[0].mentee, MENTEE.0.to_string());
    assert_eq!(result.unmatched[0].mentee, STRANGER.0.to_string());
    assert!(
        result.unmatched[0].reason.contains("excluded"),
        "{}",
        result.unmatched[0].reason
    );

    // Publishing proposes the pair with Grace's purpose and links, and remembers Mallory.
    assert!(matches!(
        e.match_publish(GUILD, STRANGER, false, &[]).await,
        Err(Error::Forbidden(_))
    ));
    let published = e.match_publish(GUILD, ORGANISER, true, &[]).await.unwrap();
    assert_eq!(published.pairs.len(), 1);
    let (rel, reasons) = &published.pairs[0];
    assert_eq!(rel.origin, Origin::ProgramMatch);
    assert_eq!((rel.mentor(), rel.mentee()), (Some(MENTOR), Some(MENTEE)));
    assert_eq!(rel.kind, Kind::Reverse);
    assert_eq!(rel.purpose, "Grow in Rust and career");
    assert_eq!(rel.request, Some(oldest.id));
    assert_eq!(
        rel.offer,
        Some(a.id),
        "the offer with a free place of the mentee's kind"
    );
    assert!(reasons.iter().any(|r| r.contains("Rust")), "{reasons:?}");
    assert_eq!(w.store.unplaced(GUILD).await.unwrap(), vec![STRANGER]);

    // A second publish finds nothing new: Grace waits for answers, her place is promised.
    let again = e.match_publish(GUILD, ORGANISER, true, &[]).await.unwrap();
    assert!(again.pairs.is_empty() && again.groups.is_empty());
    let file = e.program_file(GUILD, true).await.unwrap();
    assert_eq!(file.json["mentors"][0]["capacity"], json!(1));
    assert_eq!(ids(&file.json["mentees"]), vec![STRANGER.0.to_string()]);

    // Grace declines: she is free again, and never paired with Ada again.
    e.decline(GUILD, rel.id, MENTEE).await.unwrap();
    let file = e.program_file(GUILD, true).await.unwrap();
    assert_eq!(file.json["mentors"][0]["capacity"], json!(2));
    assert!(ids(&file.json["mentees"]).contains(&MENTEE.0.to_string()));
    let exclude = file.json["exclude"].as_array().unwrap();
    assert!(exclude.contains(&json!([MENTOR.0.to_string(), MENTEE.0.to_string()])));
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    assert!(run.result.pairs.is_empty(), "{:?}", run.result.pairs);
    let _ = b;
}

async fn people_left_unplaced_get_the_bonus(w: World) {
    let e = &w.engine;
    let mut tight = profile("Ada", "Europe/Berlin");
    tight.mentoring_styles = vec![];
    e.set_profile(GUILD, MENTOR, &tight).await.unwrap();
    let mut offer = offer_input(1);
    offer.topics = vec!["rust".into()];
    offer.skills = vec![];
    e.create_offer(GUILD, MENTOR, &offer).await.unwrap();
    for u in [MENTEE, PEER3] {
        e.set_profile(GUILD, u, &profile("x", "Europe/Berlin")).await.unwrap();
    }
    // Grace fits better (topic 1 against 1/2); Linus would need the bonus to win the one place.
    e.create_request(GUILD, MENTEE, &request(&["rust"], &["classic"]))
        .await
        .unwrap();
    e.create_request(GUILD, PEER3, &request(&["rust", "go"], &["classic"]))
        .await
        .unwrap();
    let placed = |run: &mentorbot::engine::matching::MatchRun| run.result.pairs[0].mentee.clone();

    assert_eq!(e.unplaced_bonus(GUILD).await.unwrap(), 0.1, "the default");
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    assert_eq!(placed(&run), MENTEE.0.to_string());
    assert!(run.boosted.is_empty());

    w.store.replace_unplaced(GUILD, &[PEER3], w.clock.now()).await.unwrap();
    // 0.1 does not make up the difference of 0.15...
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    assert_eq!(placed(&run), MENTEE.0.to_string());
    assert_eq!(run.boosted, vec![PEER3]);
    // ...0.2 does, and the reported score stays the table's.
    assert!(
        e.set_unplaced_bonus(GUILD, false, &[], 0.2).await.is_err(),
        "organisers only"
    );
    for bad in [-0.1, 1.5, f64::NAN] {
        assert!(matches!(
            e.set_unplaced_bonus(GUILD, true, &[], bad).await,
            Err(Error::Invalid(_))
        ));
    }
    e.set_unplaced_bonus(GUILD, true, &[], 0.2).await.unwrap();
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    assert_eq!(placed(&run), PEER3.0.to_string());
    let program = matching::parse_program(&run.file.text()).unwrap();
    let i = program.mentee_index(&PEER3.0.to_string()).unwrap();
    assert_eq!(run.result.pairs[0].score, matching::score_pair(&program, i, 0).score);

    // Publishing clears the placed and records the unplaced.
    let published = e.match_publish(GUILD, ORGANISER, true, &[]).await.unwrap();
    assert_eq!(published.pairs.len(), 1);
    assert_eq!(w.store.unplaced(GUILD).await.unwrap(), vec![MENTEE]);
    assert_eq!(published.pairs[0].0.state, State::Proposed);
    // Unanswered, the program's proposal lapses like a direct one; that pair is not made again.
    w.clock.advance(chrono::Duration::days(8));
    let lapsed = e.expire_due(100).await.unwrap();
    assert_eq!(lapsed.len(), 1);
    assert_eq!(lapsed[0].state, State::Expired);
    let run = e.match_preview(GUILD, true, &[]).await.unwrap();
    assert_eq!(placed(&run), MENTEE.0.to_string(), "Linus is excluded from Ada now");
    // Another server sees none of it.
    assert!(w.store.unplaced(OTHER_GUILD).await.unwrap().is_empty());
    assert_eq!(e.unplaced_bonus(OTHER_GUILD).await.unwrap(), 0.1);
}

async fn weights_are_the_servers_own(w: World) {
    let e = &w.engine;
    let file = |e: mentorbot::engine::Engine| async move { e.program_file(GUILD, false).await.unwrap().json };
    assert_eq!(file(e.clone()).await["weights"]["topic"], 0.3, "the default table");
    // Bad weights are refused with what to fix, and change nothing.
    for bad in [
        "topic=2x",
        "colour=0.3",
        "topic",
        "topic=-1",
        "topic=0, skill=0, style=0, timezone=0, availability=0, method=0, kind=0",
    ] {
        match e.set_matching_weights(GUILD, true, &[], bad).await {
            Err(Error::Invalid(v)) => assert_eq!(v.field, "weights", "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(
        e.set_matching_weights(GUILD, false, &[], "topic=0.5").await.is_err(),
        "organisers only"
    );
    assert_eq!(e.matching_weights(GUILD).await.unwrap(), matching::DEFAULT_WEIGHTS);
    e.set_matching_weights(GUILD, true, &[], "Topic=0.6, availability=0.05")
        .await
        .unwrap();
    let weights = file(e.clone()).await["weights"].clone();
    assert_eq!(
        (weights["topic"].as_f64(), weights["availability"].as_f64()),
        (Some(0.6), Some(0.05))
    );
    assert_eq!(weights["skill"].as_f64(), Some(0.15), "the others keep the default");
    // The bonus is kept when the weights change, and the other server keeps the table.
    assert_eq!(e.unplaced_bonus(GUILD).await.unwrap(), 0.1);
    assert_eq!(
        e.matching_weights(OTHER_GUILD).await.unwrap(),
        matching::DEFAULT_WEIGHTS
    );
    e.set_matching_weights(GUILD, true, &[], "default").await.unwrap();
    assert_eq!(e.matching_weights(GUILD).await.unwrap(), matching::DEFAULT_WEIGHTS);
}

on_both_backends!(
    the_program_file_reflects_the_server,
    people_left_unplaced_get_the_bonus,
    weights_are_the_servers_own
);
