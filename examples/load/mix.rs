//! The interactions of the mix, each timed from the stand-in sending it to the bot's first
//! response (a deferral counts) and to its final answer.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, InteractionHandle, Place, SlashCommand};
use serde_json::{json, Value};

/// What one kind of interaction came to.
pub struct Sample {
    pub kind: &'static str,
    /// Until the request carrying the first response reached the stand-in (Discord has it then).
    pub first_ms: f64,
    /// Until the harness's waiting task saw it: that adds the stand-in's checks of the request
    /// and the harness's own wake-up on the shared cores.
    pub first_seen_ms: f64,
    pub final_ms: f64,
    pub error: Option<String>,
}

const WAIT: Duration = Duration::from_secs(10);

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Waits for the answer to an interaction sent at `sent`.
pub async fn answer(kind: &'static str, handle: &InteractionHandle, sent: Instant) -> Sample {
    let Some(first) = handle.try_wait_response(WAIT).await else {
        return Sample {
            kind,
            first_ms: ms(sent),
            first_seen_ms: ms(sent),
            final_ms: ms(sent),
            error: Some("no response within 10 s".into()),
        };
    };
    let first_seen_ms = ms(sent);
    let first_ms = handle
        .response_time()
        .map_or(first_seen_ms, |d| d.as_secs_f64() * 1000.0);
    let (final_ms, text) = if first.is_deferred() {
        let done = handle.wait_original(|m| !m.text().is_empty(), WAIT).await;
        (ms(sent), done.map(|m| m.text()))
    } else if first.is_modal() {
        (first_ms, Some("(a form)".to_string()))
    } else {
        (first_ms, Some(first.content().unwrap_or_default().to_string()))
    };
    let error = match text {
        None => Some("no answer after the deferral within 10 s".into()),
        Some(t) if t.contains("went wrong") => Some(t),
        Some(_) => None,
    };
    Sample {
        kind,
        first_ms,
        first_seen_ms,
        final_ms,
        error,
    }
}

pub async fn slash(fake: FakeDiscord, kind: &'static str, place: Place, user: u64, command: SlashCommand) -> Sample {
    let sent = Instant::now();
    let handle = fake.interaction_slash(place, user, command);
    answer(kind, &handle, sent).await
}

/// `/mentor request` (its form), the form submitted, and the invited mentor pressing Accept on
/// the invitation's DM: three samples, and how long the DM took after the submission.
pub async fn request_and_accept(fake: FakeDiscord, place: Place, mentee: u64, mentor: u64) -> Vec<Sample> {
    let sent = Instant::now();
    let form = fake.interaction_slash(
        place,
        mentee,
        SlashCommand::new("mentor").subcommand("request").user("user", mentor),
    );
    let asked = answer("mentor request (form)", &form, sent).await;
    let mut out = vec![];
    let is_form = form.response().is_some_and(|r| r.is_modal());
    if asked.error.is_some() || !is_form {
        let error = asked.error.clone().or_else(|| {
            Some(format!(
                "no form: {}",
                form.response()
                    .and_then(|r| r.content().map(str::to_string))
                    .unwrap_or_default()
            ))
        });
        out.push(Sample { error, ..asked });
        return out;
    }
    out.push(asked);
    let sent = Instant::now();
    let submitted = fake.submit_modal(
        &form,
        &[(
            "purpose",
            "Learn to review Rust code well, with someone who does it daily.",
        )],
    );
    let done = answer("mentor request (form submitted)", &submitted, sent).await;
    let failed = done.error.is_some();
    out.push(done);
    if failed {
        return out;
    }
    // The invitation reaches the mentor by DM, with Accept on it.
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let hit = fake.dms_to(mentor).into_iter().find_map(|m| {
                let id = m.custom_ids().into_iter().find(|c| c.starts_with("mb:acc:"))?;
                Some((m.id, id))
            });
            if let Some(hit) = hit {
                return hit;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let dm_ms = ms(sent);
    let Ok((message, custom_id)) = found else {
        out.push(Sample {
            kind: "invitation DM (after the submission)",
            first_ms: dm_ms,
            first_seen_ms: dm_ms,
            final_ms: dm_ms,
            error: Some("no invitation DM with Accept within 30 s".into()),
        });
        return out;
    };
    out.push(Sample {
        kind: "invitation DM (after the submission)",
        first_ms: dm_ms,
        first_seen_ms: dm_ms,
        final_ms: dm_ms,
        error: None,
    });
    let sent = Instant::now();
    let press = fake.interaction_button(message, mentor, &custom_id);
    out.push(answer("Accept (invitation button)", &press, sent).await);
    out
}

/// The reminders' Reschedule buttons found so far: (message, recipient, custom id as sent, with
/// its `~marker`).
#[derive(Clone, Default)]
pub struct Reminders(Arc<Mutex<Vec<(u64, u64, String)>>>);

impl Reminders {
    /// Collects, every 250 ms, the reminder each of `recipients` gets (one each), until all came.
    pub fn collect(&self, fake: FakeDiscord, recipients: Vec<u64>) -> tokio::task::JoinHandle<()> {
        let found = self.0.clone();
        tokio::spawn(async move {
            let mut waiting = recipients;
            while !waiting.is_empty() {
                waiting.retain(|u| {
                    let hit = fake.dms_to(*u).into_iter().find_map(|m| {
                        let id = m.custom_ids().into_iter().find(|c| c.starts_with("mb:resch:"))?;
                        Some((m.id, *u, id))
                    });
                    let done = hit.is_some();
                    found.lock().unwrap().extend(hit);
                    !done
                });
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The `i`th press's reminder (round robin over those found).
    pub fn pick(&self, i: usize) -> Option<(u64, u64, String)> {
        let v = self.0.lock().unwrap();
        (!v.is_empty()).then(|| v[i % v.len()].clone())
    }
}

/// Presses Reschedule on a reminder the bot sent (it opens a form and changes nothing, so the
/// same reminder can be pressed again).
pub async fn press_reminder(fake: FakeDiscord, reminders: Reminders, i: usize) -> Sample {
    let kind = "Reschedule (reminder button)";
    let Some((message, user, custom_id)) = reminders.pick(i) else {
        return Sample {
            kind,
            first_ms: 0.0,
            first_seen_ms: 0.0,
            final_ms: 0.0,
            error: Some("no reminder arrived to press".into()),
        };
    };
    let sent = Instant::now();
    let handle = fake.interaction_button(message, user, &custom_id);
    let s = answer(kind, &handle, sent).await;
    let opened_form = handle.response().is_some_and(|r| r.is_modal());
    match (&s.error, opened_form) {
        (None, false) => Sample {
            error: Some(format!(
                "Reschedule answered without its form: {}",
                handle
                    .response()
                    .and_then(|r| r.content().map(str::to_string))
                    .unwrap_or_default()
            )),
            ..s
        },
        _ => s,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "count": ms.len(),
        "p50_ms": percentile(&ms, 0.50),
        "p95_ms": percentile(&ms, 0.95),
        "p99_ms": percentile(&ms, 0.99),
        "max_ms": ms.last().copied().unwrap_or(0.0),
    })
}

/// Per kind: first response and final answer, errors (with up to three of their texts) and
/// answers over 3 s.
pub fn by_kind(samples: &[Sample]) -> BTreeMap<&'static str, Value> {
    let mut kinds: BTreeMap<&'static str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        kinds.entry(s.kind).or_default().push(s);
    }
    kinds
        .into_iter()
        .map(|(k, v)| {
            let errors: Vec<&str> = v.iter().filter_map(|s| s.error.as_deref()).collect();
            (
                k,
                json!({
                    "first_response": summary(v.iter().map(|s| s.first_ms).collect()),
                    "first_response_seen_by_harness": summary(v.iter().map(|s| s.first_seen_ms).collect()),
                    "final_answer": summary(v.iter().map(|s| s.final_ms).collect()),
                    "errors": errors.len(),
                    "error_examples": errors.iter().take(3).collect::<Vec<_>>(),
                    "answers_over_3s": v.iter().filter(|s| s.final_ms > 3000.0).count(),
                }),
            )
        })
        .collect()
}
