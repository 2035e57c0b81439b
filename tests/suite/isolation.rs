//! Every record belongs to one server: nothing is seen, changed or counted across servers.
use crate::common;

use common::fixtures::*;
use common::{snapshot, World};
use mentorbot::domain::listing::Kind;
use mentorbot::domain::relationship::{EndReason, State};
use mentorbot::engine::{Direction, Error};

async fn servers_do_not_see_each_other(w: World) {
    let e = &w.engine;
    e.set_profile(GUILD, MENTOR, &profile("Ada in A", "Europe/Berlin"))
        .await
        .unwrap();
    e.set_profile(OTHER_GUILD, MENTOR, &profile("Ada in B", "Asia/Tokyo"))
        .await
        .unwrap();
    assert_eq!(
        e.profile(GUILD, MENTOR).await.unwrap().unwrap().display_name,
        "Ada in A"
    );
    assert_eq!(
        e.profile(OTHER_GUILD, MENTOR).await.unwrap().unwrap().display_name,
        "Ada in B"
    );
    assert!(e.profile(OTHER_GUILD, MENTEE).await.unwrap().is_none());

    let offer = e.create_offer(GUILD, MENTOR, &offer_input(1)).await.unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    assert!(e.open_offers(OTHER_GUILD).await.unwrap().is_empty());
    assert!(e.open_requests(OTHER_GUILD).await.unwrap().is_empty());
    assert!(e.offers_of(OTHER_GUILD, MENTOR).await.unwrap().is_empty());
    let before = snapshot(&w, GUILD).await;
    assert!(matches!(
        e.withdraw_offer(OTHER_GUILD, MENTOR, offer.id).await,
        Err(Error::NotFound(_))
    ));

    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    let before_rel = snapshot(&w, GUILD).await;
    assert_ne!(before, before_rel);
    // The same id in another server does not exist, whoever asks.
    assert!(matches!(
        e.accept(OTHER_GUILD, rel.id, MENTOR).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.relationship_for(OTHER_GUILD, rel.id, MENTEE).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.decline(OTHER_GUILD, rel.id, MENTOR).await,
        Err(Error::NotFound(_))
    ));
    assert!(e.relationships(OTHER_GUILD, MENTEE).await.unwrap().is_empty());
    assert_eq!(before_rel, snapshot(&w, GUILD).await);

    // The same two people may have a live pair of the same kind in each server, and a mentor's
    // capacity in one server is not used up by the other.
    w.add_member(OTHER_GUILD, MENTOR).await;
    let elsewhere = e
        .propose_direct(
            OTHER_GUILD,
            MENTEE,
            MENTOR,
            Kind::Classic,
            Direction::Request,
            "Rust too",
        )
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    assert_eq!(
        e.accept(OTHER_GUILD, elsewhere.id, MENTOR).await.unwrap().state,
        State::Accepted
    );
    assert_eq!(e.open_offers(GUILD).await.unwrap()[0].seats_taken, 1);

    e.propose_agreement(GUILD, rel.id, MENTEE, &agreement()).await.unwrap();
    e.confirm_agreement(GUILD, rel.id, MENTOR, 1).await.unwrap();
    let entry = e
        .write_journal(GUILD, rel.id, MENTEE, None, &[("Q?".into(), "secret".into())])
        .await
        .unwrap();
    assert!(e.journal(OTHER_GUILD, MENTEE, None).await.unwrap().is_empty());
    assert!(matches!(
        e.share_journal(OTHER_GUILD, entry.id, MENTEE, true).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.journal(OTHER_GUILD, MENTEE, Some(rel.id)).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.add_goal(OTHER_GUILD, rel.id, MENTEE, "x").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.record_checkin(OTHER_GUILD, rel.id, MENTEE, true, None).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        e.end(OTHER_GUILD, rel.id, MENTEE, EndReason::Other).await,
        Err(Error::NotFound(_))
    ));
    assert!(w.store.goals(OTHER_GUILD, rel.id).await.unwrap().is_empty());
    assert!(w.store.checkins(OTHER_GUILD, rel.id).await.unwrap().is_empty());
    assert!(w.store.journal_entry(OTHER_GUILD, entry.id).await.unwrap().is_none());
    assert_eq!(
        e.relationship_for(GUILD, rel.id, MENTEE).await.unwrap().state,
        State::Active
    );
}

async fn the_schema_ties_children_to_their_server(w: World) {
    // A journal entry claiming another server for a relationship is refused by the foreign keys.
    let e = &w.engine;
    let rel = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Rust")
        .await
        .unwrap();
    e.accept(GUILD, rel.id, MENTOR).await.unwrap();
    let goal = mentorbot::domain::plan::Goal {
        id: mentorbot::domain::GoalId(0),
        guild: OTHER_GUILD,
        relationship: rel.id,
        title: "smuggled".into(),
        status: mentorbot::domain::plan::ItemStatus::Open,
        created_by: MENTEE,
        created_at: common::start_time(),
        steps: vec![],
    };
    assert!(w.store.insert_goal(&goal).await.is_err());
    assert!(w.store.goals(GUILD, rel.id).await.unwrap().is_empty());
}

on_both_backends!(servers_do_not_see_each_other, the_schema_ties_children_to_their_server);
