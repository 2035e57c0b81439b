//! The hostile-input suite's parts shared by its engine runs and its stand-in run: the seeded
//! generator, the people, the seeded program with private words in it, the registered commands'
//! options, the snapshot of every table, and the checks.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use mentorbot::discord::ids::{Action, CustomId};
use mentorbot::domain::agreement::{AgreementChanges, AgreementInput};
use mentorbot::domain::guide::Phase;
use mentorbot::domain::ids::*;
use mentorbot::domain::listing::{Kind, OfferInput, RequestInput};
use mentorbot::domain::plan::ItemStatus;
use mentorbot::domain::profile::ProfileInput;
use mentorbot::domain::questions::{CriteriaInput, QuestionInput, Wish};
use mentorbot::domain::relationship::EndReason;
use mentorbot::domain::retrospective::RetrospectiveInput;
use mentorbot::domain::validate::split_list;
use mentorbot::engine::drafts::Draft;
use mentorbot::engine::hands::{HandAction, Organiser};
use mentorbot::engine::members::Presser;
use mentorbot::engine::presses::Submit;
use mentorbot::engine::{Direction, Engine, Error, ProgramSetup};
use mentorbot::store::privacy::GuildMember;
use mentorbot::store::Store;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

use crate::common::fixtures::*;
use crate::common::World;

// ----- the generator --------------------------------------------------------------------------

/// proptest's runner as a source of values: every choice comes from a strategy on one seeded RNG,
/// so a run is the same every time and a failure names its seed and step.
pub struct Gen(TestRunner);

impl Gen {
    pub fn new(seed: [u8; 32]) -> Gen {
        Gen(TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        ))
    }

    fn value<S: Strategy>(&mut self, s: S) -> S::Value {
        s.new_tree(&mut self.0).expect("a value").current()
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.value(0..n)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }

    pub fn unicode(&mut self) -> String {
        self.value(proptest::string::string_regex("\\PC{1,40}").expect("a regex"))
    }

    /// A hostile text: empty, long, unicode, markdown, mentions, formulas, control characters.
    pub fn hostile(&mut self) -> String {
        match self.below(16) {
            0 => String::new(),
            1 => "   \n\t ".into(),
            2 => "x".repeat(1001 + self.below(3000)),
            3 => "é🦀".repeat(300 + self.below(700)),
            4 => "**bold** __u__ `code` ```block``` > quote ||spoiler||".into(),
            5 => format!("<@{}> <@!{}> @everyone @here", MENTEE.0, MENTOR.0),
            6 => format!("<@&{}> <#{}>", 1_000_000_000_000_777u64, GUILD.0 + 1),
            7 => "'; DROP TABLE relationships; --".into(),
            8 => "\u{202e}evil\u{200b}\u{0000}".into(),
            9 => "=HYPERLINK(\"http://x\")".into(),
            10 => "-1".into(),
            11 => u64::MAX.to_string(),
            12 => "PRIVATE words, not a marker".into(),
            _ => self.unicode(),
        }
    }

    /// A value for a text option: half the time one the option expects (right or nearly), half
    /// the time a hostile one.
    pub fn text_for(&mut self, name: &str) -> String {
        if self.chance(50) {
            return self.hostile();
        }
        let pool: &[&str] = match name {
            "timezone" => &["Europe/Berlin", "America/New_York", "Mars/Olympus", "UTC", "+01:00"],
            "availability" => &[
                "tue 18:00-20:00, sat 10:00-14:00",
                "sat 22:00-01:00",
                "whenever",
                "mon 10:00-10:00",
            ],
            "methods" | "method" => &["video", "voice, text", "in person", "carrier pigeon"],
            "until" | "start" | "end" | "due" | "date" => {
                &["2026-06-01", "2026-03-03", "2025-01-01", "soon", "2027-13-40"]
            }
            "time" => &["18:30", "25:00", "7pm"],
            "frequency" => &[
                "weekly",
                "every 2 weeks",
                "monthly",
                "cron: 0 9 * * 1",
                "fortnightly-ish",
            ],
            "day" => &["tue", "someday"],
            "kinds" => &["classic", "reverse, peer", "dragon", ""],
            "topics" | "goals" | "skills" | "styles" | "mentoring_styles" | "learning_styles" => {
                &["rust, career", "go", "rust", ""]
            }
            "reminder_lead_times" => &["24h, 1h", "0h", "15d"],
            "digest" => &["0 9 * * 1", "off", "weekly"],
            "weights" => &["topic=0.4", "default", "topic=99"],
            "public" => &["yes", "no", "maybe"],
            _ => &["Learn Rust", "A purpose", "Ship it"],
        };
        self.pick(pool).to_string()
    }
}

// ----- the people -----------------------------------------------------------------------------

/// Someone who acts: a member, someone who left, a bot, a stranger to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who {
    pub user: UserId,
    pub bot: bool,
}

pub const LEFT: UserId = UserId(900_000_000_000_000_010);
pub const BOT: UserId = UserId(900_000_000_000_000_060);
pub const OUTSIDER: UserId = UserId(900_000_000_000_000_077);
/// A member of the other server only.
pub const ELSEWHERE: UserId = UserId(900_000_000_000_000_088);

pub fn people() -> Vec<Who> {
    let mut out: Vec<Who> = [MENTOR, MENTEE, PEER3, PEER4, STRANGER]
        .into_iter()
        .map(|user| Who { user, bot: false })
        .collect();
    out.push(Who { user: LEFT, bot: false });
    out.push(Who { user: BOT, bot: true });
    out.push(Who {
        user: OUTSIDER,
        bot: false,
    });
    out.push(Who {
        user: ELSEWHERE,
        bot: false,
    });
    out
}

// ----- private words --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Expectations or issue handling of an agreement: for its joined members.
    Agreement,
    /// A journal entry: its author's, and the joined members' once shared.
    Journal(JournalEntryId),
    /// A retrospective: its author's alone.
    Retro,
}

#[derive(Debug, Clone, Copy)]
pub struct Marker {
    pub guild: GuildId,
    pub rel: RelationshipId,
    pub author: UserId,
    pub words: Words,
}

/// Every private text the run wrote, by the marker inside it.
#[derive(Default)]
pub struct Markers {
    next: u32,
    pub by_id: HashMap<String, Marker>,
}

impl Markers {
    pub fn fresh(&mut self) -> String {
        self.next += 1;
        format!("PRIVM{:06}X", self.next)
    }

    pub fn register(&mut self, text: &str, marker: Marker) {
        for found in find_markers(text) {
            self.by_id.insert(found, marker);
        }
    }

    /// The markers in `text` that `reader` may not see.
    pub async fn leaked(&self, store: &Arc<dyn Store>, reader: UserId, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for m in find_markers(text) {
            let Some(marker) = self.by_id.get(&m) else { continue };
            if marker.author == reader {
                continue;
            }
            let joined = store
                .relationship(marker.guild, marker.rel)
                .await
                .unwrap()
                .is_some_and(|r| r.is_joined(reader));
            let allowed = match marker.words {
                Words::Agreement => joined,
                Words::Journal(id) => {
                    joined
                        && store
                            .journal_entry(marker.guild, id)
                            .await
                            .unwrap()
                            .is_some_and(|e| e.shared)
                }
                Words::Retro => false,
            };
            if !allowed {
                out.push(m);
            }
        }
        out
    }
}

pub fn find_markers(text: &str) -> Vec<String> {
    text.match_indices("PRIVM")
        .filter_map(|(i, _)| {
            let m = text.get(i..i + 12)?;
            (m.ends_with('X') && m[5..11].bytes().all(|b| b.is_ascii_digit())).then(|| m.to_string())
        })
        .collect()
}

// ----- the seeded program ---------------------------------------------------------------------

fn agreement_with(markers: &mut Markers) -> (AgreementInput, String) {
    let words = format!("{} we meet and talk", markers.fresh());
    (
        AgreementInput {
            expectations: words.clone(),
            issue_handling: format!("{} if we miss two", words),
            ..agreement()
        },
        words,
    )
}

async fn journal(w: &World, markers: &mut Markers, rel: RelationshipId, who: UserId, shared: bool) {
    let text = format!("{} my reflection", markers.fresh());
    let entry = w
        .engine
        .write_journal(GUILD, rel, who, None, &[("What did you learn?".into(), text.clone())])
        .await
        .unwrap();
    if shared {
        w.engine.share_journal(GUILD, entry.id, who, true).await.unwrap();
    }
    markers.register(
        &text,
        Marker {
            guild: GUILD,
            rel,
            author: who,
            words: Words::Journal(entry.id),
        },
    );
}

/// A program with a bit of everything, each private text carrying a marker.
pub async fn seed(w: &World, markers: &mut Markers) {
    let e = &w.engine;
    for (g, user, bot) in [
        (GUILD, BOT, true),
        (GUILD, LEFT, false),
        (OTHER_GUILD, ELSEWHERE, false),
    ] {
        let m = GuildMember {
            user,
            bot,
            roles: vec![],
        };
        w.store.upsert_member(g, &m).await.unwrap();
    }
    w.add_member(OTHER_GUILD, MENTOR).await;
    for (who, name) in [
        (MENTOR, "Ada"),
        (MENTEE, "Grace"),
        (PEER3, "Linus"),
        (PEER4, "Margaret"),
        (LEFT, "Gone"),
    ] {
        e.set_profile(GUILD, who, &profile(name, "Europe/Berlin"))
            .await
            .unwrap();
    }
    e.set_suggestable(GUILD, MENTEE, true).await.unwrap();
    e.set_suggestable(GUILD, MENTOR, true).await.unwrap();
    e.pause_profile(GUILD, PEER4, "2026-05-01").await.unwrap();
    e.create_offer(GUILD, MENTOR, &offer_input(3)).await.unwrap();
    e.create_request(GUILD, MENTEE, &request_input()).await.unwrap();
    e.create_request(GUILD, PEER3, &request_input()).await.unwrap();

    // An active pair with journals on both sides, one shared, and a plan.
    let pair = e
        .propose_direct(GUILD, MENTEE, MENTOR, Kind::Classic, Direction::Request, "Learn Rust")
        .await
        .unwrap();
    e.accept(GUILD, pair.id, MENTOR).await.unwrap();
    let (input, words) = agreement_with(markers);
    let (pair, v) = e.propose_agreement(GUILD, pair.id, MENTEE, &input).await.unwrap();
    markers.register(
        &words,
        Marker {
            guild: GUILD,
            rel: pair.id,
            author: MENTEE,
            words: Words::Agreement,
        },
    );
    e.confirm_agreement(GUILD, pair.id, MENTOR, v).await.unwrap();
    journal(w, markers, pair.id, MENTEE, false).await;
    journal(w, markers, pair.id, MENTEE, true).await;
    journal(w, markers, pair.id, MENTOR, false).await;
    let goal = e.add_goal(GUILD, pair.id, MENTEE, "Ship the CLI").await.unwrap();
    e.add_step(GUILD, pair.id, MENTOR, goal.id, "Review", Some(MENTEE), None)
        .await
        .unwrap();

    // A peer group someone declined, with an agreement among the others.
    let group = e
        .invite_peer_group(GUILD, PEER3, &[STRANGER, MENTOR, LEFT], "Study group")
        .await
        .unwrap();
    e.accept(GUILD, group.id, STRANGER).await.unwrap();
    e.accept(GUILD, group.id, MENTOR).await.unwrap();
    let (input, words) = agreement_with(markers);
    let (group, v) = e.propose_agreement(GUILD, group.id, PEER3, &input).await.unwrap();
    markers.register(
        &words,
        Marker {
            guild: GUILD,
            rel: group.id,
            author: PEER3,
            words: Words::Agreement,
        },
    );
    e.confirm_agreement(GUILD, group.id, STRANGER, v).await.unwrap();
    e.confirm_agreement(GUILD, group.id, MENTOR, v).await.unwrap();
    journal(w, markers, group.id, STRANGER, true).await;

    // An ended pair with retrospectives.
    let ended = e
        .propose_direct(GUILD, PEER3, MENTOR, Kind::Reverse, Direction::Request, "Reverse")
        .await
        .unwrap();
    e.accept(GUILD, ended.id, MENTOR).await.unwrap();
    e.end(GUILD, ended.id, PEER3, EndReason::GoalsMet).await.unwrap();
    for who in [PEER3, MENTOR] {
        let text = format!("{} what I learned", markers.fresh());
        let input = RetrospectiveInput {
            learned: text.clone(),
            ..Default::default()
        };
        e.write_retrospective(GUILD, ended.id, who, &input).await.unwrap();
        markers.register(
            &text,
            Marker {
                guild: GUILD,
                rel: ended.id,
                author: who,
                words: Words::Retro,
            },
        );
    }

    // Someone who left: invited to the group, gone before answering.
    e.member_left(GUILD, LEFT).await.unwrap();
    e.record_member_gone(GUILD, LEFT).await.unwrap();

    // Another server's mentorship, with the same mentor.
    let far = e
        .propose_direct(
            OTHER_GUILD,
            ELSEWHERE,
            MENTOR,
            Kind::Classic,
            Direction::Request,
            "Far away",
        )
        .await
        .unwrap();
    e.accept(OTHER_GUILD, far.id, MENTOR).await.unwrap();
    let (input, words) = agreement_with(markers);
    e.propose_agreement(OTHER_GUILD, far.id, ELSEWHERE, &input)
        .await
        .unwrap();
    markers.register(
        &words,
        Marker {
            guild: OTHER_GUILD,
            rel: far.id,
            author: ELSEWHERE,
            words: Words::Agreement,
        },
    );
    let setup = ProgramSetup {
        channel: Some(GUILD.0 + 1),
        coordinator_role: Some(1_000_000_000_000_777),
        ..Default::default()
    };
    e.setup_program(GUILD, true, &[], &setup).await.unwrap();
}

// ----- ids to use -----------------------------------------------------------------------------

/// The ids a forged command, button or form may name: real ones of both servers and of anyone,
/// and made-up ones.
#[derive(Default, Debug)]
pub struct Pools {
    pub rels: Vec<i64>,
    pub checkins: Vec<i64>,
    pub goals: Vec<i64>,
    pub steps: Vec<i64>,
    pub entries: Vec<i64>,
    pub offers: Vec<i64>,
    pub requests: Vec<i64>,
    pub drafts: Vec<u64>,
    /// Matching questions (issue 13), in use or removed.
    pub questions: Vec<i64>,
}

impl Pools {
    pub async fn refresh(&mut self, store: &Arc<dyn Store>) {
        self.rels.clear();
        self.checkins.clear();
        self.goals.clear();
        self.steps.clear();
        self.entries.clear();
        self.offers.clear();
        self.requests.clear();
        self.questions.clear();
        for g in [GUILD, OTHER_GUILD] {
            self.questions
                .extend(store.questions(g, true).await.unwrap().iter().map(|q| q.id.0));
            for r in store.relationships_in(g).await.unwrap() {
                self.rels.push(r.id.0);
                for goal in store.goals(g, r.id).await.unwrap() {
                    self.goals.push(goal.id.0);
                    self.steps.extend(goal.steps.iter().map(|s| s.id.0));
                }
            }
            self.checkins
                .extend(store.guild_checkins(g).await.unwrap().iter().map(|c| c.id.0));
            for who in people() {
                self.entries.extend(
                    store
                        .journal_of(g, who.user, None)
                        .await
                        .unwrap()
                        .iter()
                        .map(|e| e.id.0),
                );
                self.offers
                    .extend(store.offers_of(g, who.user).await.unwrap().iter().map(|o| o.id.0));
                self.requests
                    .extend(store.requests_of(g, who.user).await.unwrap().iter().map(|o| o.id.0));
            }
        }
    }

    /// An id from `pool`, or a made-up one.
    pub fn id(g: &mut Gen, pool: &[i64]) -> i64 {
        if !pool.is_empty() && g.chance(80) {
            g.pick(pool)
        } else {
            g.pick(&[0, -1, 999_999, i64::MAX, i64::MIN, 3])
        }
    }
}

// ----- the registered commands ----------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct OptionSpec {
    pub name: String,
    /// Discord's option type: 3 text, 4 integer, 5 boolean, 6 user, 7 channel, 8 role, 10 number.
    pub kind: u64,
    pub required: bool,
    pub choices: Vec<Value>,
    /// The option as registered (its limits, for what Discord's client lets a person send).
    pub json: Value,
}

#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub path: Vec<String>,
    pub options: Vec<OptionSpec>,
}

/// Every leaf of the registered slash commands with its options, as the bot registers them.
pub fn registered_from_json(commands: &[Value]) -> Vec<CommandSpec> {
    fn walk(path: Vec<String>, options: &[Value], out: &mut Vec<CommandSpec>) {
        let sub: Vec<&Value> = options
            .iter()
            .filter(|o| matches!(o["type"].as_u64(), Some(1 | 2)))
            .collect();
        if sub.is_empty() {
            out.push(CommandSpec {
                path,
                options: options
                    .iter()
                    .map(|o| OptionSpec {
                        name: o["name"].as_str().unwrap_or_default().to_string(),
                        kind: o["type"].as_u64().unwrap_or(3),
                        required: o["required"].as_bool().unwrap_or(false),
                        choices: o["choices"].as_array().cloned().unwrap_or_default(),
                        json: o.clone(),
                    })
                    .collect(),
            });
            return;
        }
        for s in sub {
            let mut p = path.clone();
            p.push(s["name"].as_str().unwrap_or_default().to_string());
            let opts = s["options"].as_array().cloned().unwrap_or_default();
            walk(p, &opts, out);
        }
    }
    let mut out = Vec::new();
    for c in commands {
        let opts = c["options"].as_array().cloned().unwrap_or_default();
        walk(
            vec![c["name"].as_str().unwrap_or_default().to_string()],
            &opts,
            &mut out,
        );
    }
    out
}

pub fn registered() -> Vec<CommandSpec> {
    let json: Vec<Value> = mentorbot::discord::commands::all()
        .iter()
        .filter_map(|c| c.create_as_slash_command())
        .map(|c| serde_json::to_value(c).expect("a command serialises"))
        .collect();
    registered_from_json(&json)
}

/// The value as Discord's client would send it: integers and numbers within the option's
/// `min_value`/`max_value` (and Discord's ±2^53), text within `min_length`/`max_length`. A value
/// outside them never reaches a bot, so the stand-in refuses to inject it.
pub fn as_client_sends(o: &OptionSpec, v: &OptValue) -> OptValue {
    const LIMIT: f64 = 9_007_199_254_740_991.0;
    // An option with choices takes one of them, nothing else.
    if !o.choices.is_empty() {
        let is_choice = |c: &Value| match (&c["value"], v) {
            (Value::String(s), OptValue::Text(t)) => s == t,
            (n, OptValue::Int(i)) => n.as_i64() == Some(*i),
            (n, OptValue::Number(x)) => n.as_f64() == Some(*x),
            _ => false,
        };
        if !o.choices.iter().any(is_choice) {
            return match &o.choices[0]["value"] {
                Value::String(s) => OptValue::Text(s.clone()),
                n => OptValue::Int(n.as_i64().unwrap_or(0)),
            };
        }
    }
    let lo = o.json["min_value"].as_f64().unwrap_or(-LIMIT);
    let hi = o.json["max_value"].as_f64().unwrap_or(LIMIT);
    match v {
        OptValue::Int(n) => OptValue::Int((*n as f64).clamp(lo, hi) as i64),
        OptValue::Number(x) => OptValue::Number(x.clamp(lo, hi)),
        OptValue::Text(t) => {
            let max = o.json["max_length"].as_u64().unwrap_or(6000) as usize;
            let min = o.json["min_length"].as_u64().unwrap_or(0) as usize;
            let mut t: String = t.chars().take(max).collect();
            while t.chars().count() < min {
                t.push('x');
            }
            OptValue::Text(t)
        }
        other => other.clone(),
    }
}

/// An option's random value.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    Text(String),
    Int(i64),
    Bool(bool),
    User(Who),
    Id(u64),
    Number(f64),
    /// An attached file's bytes.
    File(Vec<u8>),
}

pub fn option_value(g: &mut Gen, o: &OptionSpec, pools: &Pools) -> OptValue {
    if !o.choices.is_empty() && g.chance(90) {
        let c = g.pick(&o.choices);
        return match &c["value"] {
            Value::String(s) => OptValue::Text(s.clone()),
            v => OptValue::Int(v.as_i64().unwrap_or(0)),
        };
    }
    match o.kind {
        4 => OptValue::Int(match o.name.as_str() {
            "mentorship" => Pools::id(g, &pools.rels),
            "goal" => Pools::id(g, &pools.goals),
            "step" => Pools::id(g, &pools.steps),
            "entry" => Pools::id(g, &pools.entries),
            "id" => Pools::id(g, &[pools.offers.clone(), pools.requests.clone()].concat()),
            _ => g.pick(&[-1, 0, 1, 2, 3, 5, 10, 11, 45, 60, 61, 9_999, i64::MAX]),
        }),
        5 => OptValue::Bool(g.chance(50)),
        6 => OptValue::User(g.pick(&people())),
        7 => OptValue::Id(g.pick(&[GUILD.0 + 1, GUILD.0 + 2, 1, u64::MAX])),
        8 => OptValue::Id(g.pick(&[1_000_000_000_000_777, 1, u64::MAX])),
        10 => OptValue::Number(g.pick(&[-1.0, 0.0, 0.1, 1.0, 1.5, 1e300])),
        11 => OptValue::File(import_file(g)),
        _ => OptValue::Text(g.text_for(&o.name)),
    }
}

/// A file for `/program import`: the import's header with rows right and wrong, hostile text,
/// or bytes that are not UTF-8.
fn import_file(g: &mut Gen) -> Vec<u8> {
    let header = mentorbot::domain::import::HEADER.join(",");
    match g.below(4) {
        0 => vec![0xff, 0xfe, 0x00, 0x41, 0x80],
        1 => g.hostile().into_bytes(),
        _ => {
            let mut text = header + "\n";
            for _ in 0..1 + g.below(4) {
                let who = g.pick(&people()).user.0.to_string();
                let role = g.pick(&["mentor", "mentee", "both", "boss"]);
                let cap = g.pick(&["1", "3", "", "11"]);
                let tz = g.text_for("timezone");
                let purpose = g.hostile().replace(['"', '\n'], " ");
                text += &format!("{who},{role},rust|career,review,{cap},{tz},tue 18:00-20:00,\"{purpose}\"\n");
            }
            text.into_bytes()
        }
    }
}

// ----- what a run does ------------------------------------------------------------------------

/// One random interaction.
#[derive(Debug, Clone)]
pub enum Act {
    Command {
        who: Who,
        guild: GuildId,
        admin: bool,
        path: String,
        values: Vec<(String, OptValue)>,
        /// The interaction's id, the key of a draft if the command opens a form.
        key: u64,
    },
    Button {
        who: Who,
        custom_id: String,
        /// What a select menu's user picked (empty for a button).
        values: Vec<String>,
    },
    Form {
        who: Who,
        custom_id: String,
        fields: Vec<(String, String)>,
    },
}

impl Act {
    pub fn who(&self) -> Who {
        match self {
            Act::Command { who, .. } | Act::Button { who, .. } | Act::Form { who, .. } => *who,
        }
    }
}

const ACTIONS: [Action; 29] = [
    Action::Accept,
    Action::Decline,
    Action::Confirm,
    Action::Retro,
    Action::Agreement,
    Action::Reflect,
    Action::RetroForm,
    Action::AgreementForm,
    Action::ReflectForm,
    Action::JournalForm,
    Action::DraftForm,
    Action::Skip,
    Action::Reschedule,
    Action::Met,
    Action::NotMet,
    Action::RescheduleForm,
    Action::ChangeFrequency,
    Action::PauseRel,
    Action::EndRel,
    Action::FrequencyForm,
    Action::Forget,
    Action::SuggestRequest,
    Action::SuggestOffer,
    Action::QuestionsPage,
    Action::AnswerQuestion,
    Action::EndConfirm,
    Action::EndCancel,
    Action::LeaveGroup,
    Action::Celebrate,
];

/// A custom id: an action of ours with numbers from the pools (mostly the right count), or junk.
pub fn custom_id(g: &mut Gen, pools: &Pools, form: bool) -> String {
    if g.chance(8) {
        let hostile = g.hostile();
        return g.pick(&[
            String::new(),
            "mb:".into(),
            "mb:acc:x".into(),
            "other:acc:1:2".into(),
            "mb:nope:1".into(),
            format!("mb:acc:{}:{}:{}", u64::MAX, u64::MAX, u64::MAX),
            "mb:acc:1::2".into(),
            hostile,
        ]);
    }
    let forms = [
        Action::DraftForm,
        Action::ReflectForm,
        Action::JournalForm,
        Action::RetroForm,
        Action::RescheduleForm,
        Action::FrequencyForm,
        Action::AgreementForm,
    ];
    let action = if form { g.pick(&forms) } else { g.pick(&ACTIONS) };
    let guild = if g.chance(85) {
        GUILD.0
    } else {
        g.pick(&[OTHER_GUILD.0, 0, u64::MAX])
    };
    let people: Vec<u64> = people().iter().map(|w| w.user.0).collect();
    let rel = Pools::id(g, &pools.rels) as u64;
    let third = match action {
        Action::Confirm => g.pick(&[1, 2, 3, 0, u64::from(u32::MAX) + 1]),
        Action::Forget => g.pick(&people),
        _ => Pools::id(g, &pools.checkins) as u64,
    };
    let mut numbers = match action {
        Action::DraftForm => {
            let key = if pools.drafts.is_empty() || g.chance(20) {
                g.pick(&[0, 1, 42, u64::MAX])
            } else {
                g.pick(&pools.drafts)
            };
            vec![key]
        }
        Action::Forget => vec![guild, third],
        Action::SuggestRequest | Action::SuggestOffer => {
            vec![guild, g.pick(&people), g.pick(&people), g.pick(&[0, 1, 2])]
        }
        Action::QuestionsPage if g.chance(50) => vec![guild, g.pick(&people), g.pick(&[0, 1, 2, u64::MAX]), 1],
        Action::QuestionsPage => vec![guild, g.pick(&people), g.pick(&[0, 1, 2, u64::MAX])],
        Action::AnswerQuestion => vec![
            guild,
            g.pick(&people),
            Pools::id(g, &pools.questions) as u64,
            g.pick(&[0, 1, 2, u64::MAX]),
        ],
        Action::Confirm | Action::Skip | Action::Met | Action::NotMet | Action::Reschedule | Action::RescheduleForm => {
            vec![guild, rel, third]
        }
        Action::ReflectForm => vec![guild, rel, if g.chance(30) { 0 } else { third }],
        Action::EndConfirm => vec![guild, rel, g.pick(&[0, 1, 2, 3, 4, u64::MAX])],
        Action::Celebrate => vec![guild, rel, g.pick(&[0, 1, 2])],
        Action::Reflect if g.chance(50) => vec![guild, rel, third],
        _ => vec![guild, rel],
    };
    // Now and then one number too many or too few.
    if g.chance(7) {
        numbers.push(7);
    } else if g.chance(7) {
        numbers.pop();
    }
    CustomId::new(action, &numbers).encode()
}

/// A form's fields: those our forms have, with hostile values; now and then private words.
pub fn form_fields(g: &mut Gen, markers: &mut Markers) -> Vec<(String, String)> {
    let names = [
        "purpose",
        "expectations",
        "issue_handling",
        "q0",
        "q1",
        "q2",
        "learned",
        "differently",
        "celebrate",
        "public",
        "date",
        "time",
        "frequency",
    ];
    let mut out = Vec::new();
    for n in names {
        if !g.chance(70) {
            continue;
        }
        let value = if matches!(
            n,
            "expectations" | "issue_handling" | "q0" | "q1" | "learned" | "differently"
        ) && g.chance(40)
        {
            format!("{} {}", markers.fresh(), g.text_for(n))
        } else {
            g.text_for(n)
        };
        out.push((n.to_string(), value));
    }
    out
}

pub fn act(g: &mut Gen, specs: &[CommandSpec], pools: &Pools, markers: &mut Markers, step: u64) -> Act {
    let everyone = people();
    let who = if g.chance(75) {
        g.pick(&everyone[..5])
    } else {
        g.pick(&everyone)
    };
    match g.below(100) {
        0..=54 => {
            let spec = g.pick(specs);
            let mut values = Vec::new();
            for o in &spec.options {
                if o.required || g.chance(60) {
                    values.push((o.name.clone(), option_value(g, o, pools)));
                }
            }
            Act::Command {
                who,
                guild: if g.chance(92) { GUILD } else { OTHER_GUILD },
                admin: g.chance(15),
                path: spec.path.join(" "),
                values,
                key: 5_000_000 + step,
            }
        }
        55..=79 => {
            let custom_id = custom_id(g, pools, false);
            // A select menu's values: mostly choice numbers, now and then anything.
            let values = if custom_id.starts_with("mb:qans:") {
                let n = g.below(4);
                (0..n)
                    .map(|_| {
                        if g.chance(85) {
                            g.below(12).to_string()
                        } else {
                            g.hostile()
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Act::Button { who, custom_id, values }
        }
        _ => Act::Form {
            who,
            custom_id: custom_id(g, pools, true),
            fields: form_fields(g, markers),
        },
    }
}

// ----- running one in the engine --------------------------------------------------------------

/// What the engine said: the text a person would read (or the result, for accepted ones), or
/// our own failure.
#[derive(Debug)]
pub enum Outcome {
    Accepted(String),
    Refused(String),
    Internal(String),
}

fn opt<'a>(values: &'a [(String, OptValue)], name: &str) -> Option<&'a OptValue> {
    values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn text(values: &[(String, OptValue)], name: &str) -> Option<String> {
    match opt(values, name) {
        Some(OptValue::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

fn int(values: &[(String, OptValue)], name: &str) -> Option<i64> {
    match opt(values, name) {
        Some(OptValue::Int(n)) => Some(*n),
        _ => None,
    }
}

fn user(values: &[(String, OptValue)], name: &str) -> Option<Who> {
    match opt(values, name) {
        Some(OptValue::User(w)) => Some(*w),
        _ => None,
    }
}

/// As the Discord layer refuses before the engine: a bot or oneself named as the other person.
fn other(caller: UserId, w: Who) -> Result<UserId, String> {
    if w.bot {
        return Err("That is a bot; mention a person instead.".into());
    }
    if w.user == caller {
        return Err("You mentioned yourself; mention the other person instead.".into());
    }
    Ok(w.user)
}

/// A phase as the guide's choice option sends it (the index of the choice).
fn phase_of(i: i64) -> Option<Phase> {
    [Phase::Purpose, Phase::Find, Phase::Scope, Phase::Implement, Phase::End]
        .get(usize::try_from(i).ok()?)
        .copied()
}

/// As `/program mentorship` reads its option: an autocompleted number, `#` allowed.
fn mentorship_number(t: &str) -> Result<i64, String> {
    t.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "Please pick a mentorship from the list.".to_string())
}

type Res = Result<String, Error>;

fn ok<T: std::fmt::Debug>(r: Result<T, Error>) -> Res {
    r.map(|v| format!("{v:?}"))
}

/// A slash command as the bot runs it: the same parsing of its options, then the engine.
async fn command(
    e: &Engine,
    who: Who,
    guild: GuildId,
    admin: bool,
    path: &str,
    v: &[(String, OptValue)],
    key: u64,
) -> Result<Res, String> {
    let me = who.user;
    let roles: Vec<u64> = Vec::new();
    let kind = |v: &[(String, OptValue)]| match int(v, "kind") {
        None | Some(0) => Ok(Kind::Classic),
        Some(1) => Ok(Kind::Reverse),
        Some(_) => Err("Please check the options.".to_string()),
    };
    // The mentorship a command means, as the bot picks it (`commands::which`).
    macro_rules! picked {
        () => {
            match int(v, "mentorship") {
                Some(n) if n < 1 => return Ok(Err(Error::NotFound("mentorship"))),
                given => match e.pick_mentorship(guild, me, given).await {
                    Ok(r) => r,
                    Err(err) => return Ok(Err(err)),
                },
            }
        };
    }
    Ok(match path {
        "mentor profile" => {
            let given = [
                "timezone",
                "availability",
                "methods",
                "role",
                "experience",
                "mentoring_styles",
                "learning_styles",
                "name",
            ];
            let criteria = CriteriaInput {
                profession: text(v, "profession"),
                unit: text(v, "unit"),
                level: text(v, "level"),
            };
            let existing = e.profile(guild, me).await;
            let existing = match existing {
                Ok(p) => p,
                Err(err) => return Ok(Err(err)),
            };
            let profile_unchanged = given.iter().all(|n| text(v, n).is_none());
            if profile_unchanged && criteria.is_empty() {
                if let (Some(OptValue::Bool(on)), Some(_)) = (opt(v, "suggestable"), &existing) {
                    if let Err(err) = e.set_suggestable(guild, me, *on).await {
                        return Ok(Err(err));
                    }
                }
                return Ok(Ok(format!("{existing:?}")));
            }
            let mut input = match &existing {
                Some(p) => ProfileInput {
                    display_name: p.display_name.clone(),
                    timezone: p.timezone.name().to_string(),
                    availability: p
                        .availability
                        .iter()
                        .map(|w| w.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    methods: p.methods.iter().map(|m| m.to_string()).collect(),
                    role: p.role.clone(),
                    experience: p.experience.clone(),
                    mentoring_styles: p.mentoring_styles.clone(),
                    learning_styles: p.learning_styles.clone(),
                },
                None => {
                    if text(v, "timezone").is_none() {
                        return Ok(Ok("Please give your time zone too".into()));
                    }
                    ProfileInput {
                        display_name: "Someone".into(),
                        ..Default::default()
                    }
                }
            };
            if let Some(t) = text(v, "timezone") {
                input.timezone = t;
            }
            if let Some(t) = text(v, "availability") {
                input.availability = t;
            }
            if let Some(t) = text(v, "methods") {
                input.methods = split_list(&t);
            }
            if let Some(t) = text(v, "role") {
                input.role = Some(t);
            }
            if let Some(t) = text(v, "experience") {
                input.experience = Some(t);
            }
            if let Some(t) = text(v, "mentoring_styles") {
                input.mentoring_styles = split_list(&t);
            }
            if let Some(t) = text(v, "learning_styles") {
                input.learning_styles = split_list(&t);
            }
            if let Some(t) = text(v, "name") {
                input.display_name = t;
            }
            // As the bot: profession, unit and level are checked before anything is saved.
            if !criteria.is_empty() {
                if let Err(err) = e.check_criteria(guild, me, &criteria).await {
                    return Ok(Err(err));
                }
            }
            let saved = match existing {
                Some(p) if profile_unchanged => Ok(p),
                _ => e.set_profile(guild, me, &input).await,
            };
            if let (Ok(_), Some(OptValue::Bool(on))) = (&saved, opt(v, "suggestable")) {
                e.set_suggestable(guild, me, *on).await.unwrap();
            }
            if saved.is_ok() && !criteria.is_empty() {
                if let Err(err) = e.set_criteria(guild, me, &criteria).await {
                    return Ok(Err(err));
                }
            }
            ok(saved)
        }
        "mentor pause" => ok(e.pause_profile(guild, me, &text(v, "until").unwrap_or_default()).await),
        "mentor resume" => ok(e.resume_profile(guild, me).await),
        "mentor offer" => {
            let input = OfferInput {
                purpose: "(typed in the form)".into(),
                topics: split_list(&text(v, "topics").unwrap_or_default()),
                skills: text(v, "skills").as_deref().map(split_list).unwrap_or_default(),
                kinds: text(v, "kinds").as_deref().map(split_list).unwrap_or_default(),
                capacity: int(v, "capacity").unwrap_or(0),
                hopes_to_learn: text(v, "hopes_to_learn"),
            };
            if let Err(err) = mentorbot::domain::listing::Offer::new(guild, me, &input, e.now()) {
                return Ok(Err(err.into()));
            }
            let suggestable = match opt(v, "suggest_me") {
                Some(OptValue::Bool(b)) => Some(*b),
                _ => None,
            };
            ok(e.put_draft(key, guild, me, &Draft::Offer { input, suggestable }).await)
        }
        "mentor seek" => {
            let input = RequestInput {
                purpose: "(typed in the form)".into(),
                goals: split_list(&text(v, "goals").unwrap_or_default()),
                kinds: text(v, "kinds").as_deref().map(split_list).unwrap_or_default(),
                styles: text(v, "styles").as_deref().map(split_list).unwrap_or_default(),
            };
            if let Err(err) = mentorbot::domain::listing::Request::new(guild, me, &input, e.now()) {
                return Ok(Err(err.into()));
            }
            let suggestable = match opt(v, "suggest_me") {
                Some(OptValue::Bool(b)) => Some(*b),
                _ => None,
            };
            let wish = match int(v, "mentor_profession") {
                Some(0) => Wish::Same,
                Some(1) => Wish::Other,
                None | Some(2) => Wish::Either,
                Some(_) => return Err("Please check the options.".into()),
            };
            let reopen = match e.closed_by_ending(guild, me).await {
                Ok(q) => q.map(|q| q.id),
                Err(err) => return Err(err.user_message()),
            };
            let draft = Draft::Seek {
                input,
                suggestable,
                wish,
                reopen,
            };
            ok(e.put_draft(key, guild, me, &draft).await)
        }
        "mentor withdraw" => match (int(v, "what"), int(v, "id")) {
            (Some(0), Some(n)) => match e.offer_numbered(guild, me, n).await {
                Ok(id) => ok(e.withdraw_offer(guild, me, id).await),
                Err(err) => ok::<()>(Err(err)),
            },
            (Some(1), Some(n)) => match e.request_numbered(guild, me, n).await {
                Ok(id) => ok(e.withdraw_request(guild, me, id).await),
                Err(err) => ok::<()>(Err(err)),
            },
            (Some(0), None) => ok(e.offers_of(guild, me).await),
            (Some(1), None) => ok(e.requests_of(guild, me).await),
            _ => return Err("Please check the options.".into()),
        },
        "mentor request" | "mentor offer-to" => {
            let to = other(me, user(v, "user").ok_or("no user")?)?;
            let direction = if path == "mentor request" {
                Direction::Request
            } else {
                Direction::Offer
            };
            let draft = Draft::Direct {
                to,
                kind: kind(v)?,
                direction,
            };
            ok(e.put_draft(key, guild, me, &draft).await)
        }
        "mentor peer-group" => {
            let mut invitees = Vec::new();
            for i in 1..=7 {
                if let Some(w) = user(v, &format!("user{i}")) {
                    let u = other(me, w)?;
                    if invitees.contains(&u) {
                        return Err("named twice".into());
                    }
                    invitees.push(u);
                }
            }
            ok(e.put_draft(key, guild, me, &Draft::Peer { invitees }).await)
        }
        "mentor notifications" => {
            use mentorbot::domain::preferences::{Muted, PrefsChange};
            let flag = |n: &str| match opt(v, n) {
                Some(OptValue::Bool(b)) => Some(*b),
                _ => None,
            };
            let change = PrefsChange {
                switches: [
                    (Muted::Reminders, flag("reminders")),
                    (Muted::Nudges, flag("nudges")),
                    (Muted::Midpoint, flag("midpoint")),
                    (Muted::Tips, flag("tips")),
                    (Muted::Celebrations, flag("celebrations")),
                    (Muted::RetroReminders, flag("retro_reminders")),
                ]
                .into_iter()
                .filter_map(|(k, on)| on.map(|on| (k, on)))
                .collect(),
                lead_times: text(v, "lead_times"),
            };
            if change.switches.is_empty() && change.lead_times.is_none() {
                ok(e.notification_prefs(guild, me).await)
            } else {
                ok(e.set_notification_prefs(guild, me, &change).await)
            }
        }
        "mentor my-data" => ok(e.my_data(guild, me).await),
        // It only shows the confirmation button.
        "mentor forget" => Ok("Are you sure?".into()),
        "mentor suggest" => ok(e.suggest(guild, me).await),
        "mentorship list" => ok(e.relationships(guild, me).await),
        "mentorship agreement" => {
            let rel = picked!();
            let r = match e.relationship_for(guild, rel, me).await {
                Ok(r) => r,
                Err(err) => return Ok(Err(err)),
            };
            if let Err(err) = r.require_agreement_writable(me) {
                return Ok(Err(err.into()));
            }
            let changes = AgreementChanges {
                frequency: text(v, "frequency"),
                day: text(v, "day"),
                time: text(v, "time"),
                timezone: text(v, "timezone"),
                meeting_minutes: int(v, "length"),
                method: text(v, "method"),
                place: text(v, "place"),
                start_date: text(v, "start"),
                end_date: text(v, "end"),
                missed_before_prompt: int(v, "missed_before_prompt"),
            };
            let zone = match e.profile(guild, me).await {
                Ok(p) => p.map(|p| p.timezone.name().to_string()),
                Err(err) => return Ok(Err(err)),
            };
            let mut input = match changes.prefilled(r.latest_agreement().map(|a| &a.terms), zone.as_deref(), e.now()) {
                Ok(i) => i,
                Err(err) => return Ok(Err(err.into())),
            };
            input.expectations = "(typed in the form)".into();
            input.issue_handling = "(typed in the form)".into();
            if let Err(err) = mentorbot::domain::agreement::AgreementTerms::from_input(me, &input, e.now()) {
                return Ok(Err(err.into()));
            }
            ok(e.put_draft(key, guild, me, &Draft::Agreement { rel, input }).await)
        }
        "mentorship plan add" => ok(e
            .add_goal(guild, picked!(), me, &text(v, "goal").unwrap_or_default())
            .await),
        "mentorship plan step" => {
            let owner = match user(v, "owner") {
                Some(w) if w.user == me => Some(me),
                Some(w) => Some(other(me, w)?),
                None => None,
            };
            let due = match text(v, "due") {
                Some(d) => Some(NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| "due date")?),
                None => None,
            };
            let rel = picked!();
            let goal = match e.goal_numbered(guild, rel, me, int(v, "goal").unwrap_or(0)).await {
                Ok(g) => g,
                Err(err) => return Ok(Err(err)),
            };
            ok(e.add_step(
                guild,
                rel,
                me,
                goal.id,
                &text(v, "step").unwrap_or_default(),
                owner,
                due,
            )
            .await)
        }
        "mentorship plan done" | "mentorship plan undo" | "mentorship plan drop" | "mentorship plan rename" => {
            let rel = picked!();
            let status = match path {
                "mentorship plan done" => Some(ItemStatus::Done),
                "mentorship plan undo" => Some(ItemStatus::Open),
                "mentorship plan drop" => Some(ItemStatus::Dropped),
                _ => None,
            };
            let words = text(v, "text").unwrap_or_default();
            match (int(v, "goal"), int(v, "step")) {
                (Some(n), None) => match e.goal_numbered(guild, rel, me, n).await {
                    Err(err) => Err(err),
                    Ok(g) => match status {
                        Some(st) => ok(e.set_goal_status(guild, rel, me, g.id, st).await),
                        None => ok(e.rename_goal(guild, rel, me, g.id, &words).await),
                    },
                },
                (None, Some(n)) => match e.step_numbered(guild, rel, me, n).await {
                    Err(err) => Err(err),
                    Ok(s) => match status {
                        Some(st) => ok(e.set_step_status(guild, rel, me, s.id, st).await),
                        None => ok(e.rename_step(guild, rel, me, s.id, &words).await),
                    },
                },
                _ => return Err("Please give either a step or a goal.".into()),
            }
        }
        "mentorship plan list" => ok(e.plan(guild, picked!(), me).await),
        "mentorship checkin" => {
            let rel = picked!();
            let met = matches!(opt(v, "met"), Some(OptValue::Bool(true)));
            match e.relationship_for(guild, rel, me).await {
                Err(err) => Err(err),
                Ok(r) => {
                    if met {
                        if let Err(err) = r.require_joined(me) {
                            return Ok(Err(err.into()));
                        }
                    }
                    ok(e.record_checkin(guild, rel, me, met, text(v, "note").as_deref()).await)
                }
            }
        }
        "mentorship journal write" => {
            let rel = picked!();
            match e.relationship_for(guild, rel, me).await {
                Err(err) => Err(err),
                Ok(r) => ok(r.require_joined(me).map(|m| m.role).map_err(Error::from)),
            }
        }
        "mentorship journal list" => ok(e.journal(guild, me, int(v, "mentorship").map(RelationshipId)).await),
        "mentorship journal share" => {
            let shared = !matches!(opt(v, "shared"), Some(OptValue::Bool(false)));
            match e.my_journal_entry(guild, me, int(v, "entry").unwrap_or(0)).await {
                Ok(entry) => ok(e.share_journal(guild, entry.id, me, shared).await),
                Err(err) => Err(err),
            }
        }
        "mentorship journal export" => ok(e.export_journal(guild, me).await),
        "mentorship answer" => {
            let rel = picked!();
            match int(v, "answer") {
                Some(0) => ok(e.accept(guild, rel, me).await),
                Some(1) => ok(e.decline(guild, rel, me).await),
                _ => return Err("Please check the options.".into()),
            }
        }
        "mentorship pause" => ok(e.pause(guild, picked!(), me).await),
        "mentorship withdraw" => ok(e.withdraw_invitation(guild, picked!(), me).await),
        "mentorship resume" => ok(e.resume(guild, picked!(), me).await),
        "mentor help" => Ok(mentorbot::discord::commands::help::HELP.to_string()),
        "mentorship end" => {
            let reason = match int(v, "reason") {
                Some(0) => EndReason::GoalsMet,
                Some(1) => EndReason::NotAFit,
                Some(2) => EndReason::PlannedEnd,
                Some(3) => EndReason::Other,
                _ => return Err("Please check the options.".into()),
            };
            // The command only asks (issue 16, item 6); its End it button ends (EndConfirm, pressed
            // among the buttons below).
            let _ = reason;
            ok(e.end_preview(guild, picked!(), me).await)
        }
        "program setup" => {
            if let Some(OptValue::Number(b)) = opt(v, "unplaced_bonus") {
                if let Err(err) = mentorbot::engine::matching::check_unplaced_bonus(*b) {
                    return Ok(Err(err.into()));
                }
            }
            if let Some(w) = text(v, "weights") {
                if let Err(err) = mentorbot::engine::matching::parse_weights(&w) {
                    return Ok(Err(err.into()));
                }
            }
            let id = |n: &str| match opt(v, n) {
                Some(OptValue::Id(i)) => Some(*i),
                _ => None,
            };
            let setup = ProgramSetup {
                channel: id("channel"),
                coordinator_role: id("coordinator_role"),
                reminder_leads: text(v, "reminder_lead_times"),
                proposal_expiry_days: int(v, "proposal_expiry_days"),
                digest: text(v, "digest"),
                timezone: text(v, "timezone"),
                coordinator_channel: id("coordinator_channel"),
                invitation_limit: int(v, "invitation_limit"),
                decline_cooldown_days: int(v, "decline_cooldown_days"),
                agreement_versions_per_day: int(v, "agreement_versions_per_day"),
            };
            let saved = e.setup_program(guild, admin, &roles, &setup).await;
            if saved.is_ok() {
                if let Some(OptValue::Number(b)) = opt(v, "unplaced_bonus") {
                    e.set_unplaced_bonus(guild, admin, &roles, *b).await.unwrap();
                }
                if let Some(w) = text(v, "weights") {
                    e.set_matching_weights(guild, admin, &roles, &w).await.unwrap();
                }
            }
            ok(saved)
        }
        "program match preview" => ok(e.match_preview(guild, admin, &roles).await.map(|r| r.result)),
        "program match publish" => ok(e
            .match_publish(guild, me, admin, &roles)
            .await
            .map(|p| (p.pairs, p.groups))),
        "program export" => match e.export_program(guild, admin, &roles).await {
            Err(err) => Err(err),
            Ok(file) => ok(e
                .relationship_reports(guild, admin, &roles)
                .await
                .map(|r| (file.text(), r))),
        },
        "program stats" => ok(e.program_stats(guild, admin, &roles).await),
        "program question add" => {
            let input = QuestionInput {
                text: text(v, "text").unwrap_or_default(),
                choices: text(v, "choices").unwrap_or_default(),
                multiple: matches!(opt(v, "multiple"), Some(OptValue::Bool(true))),
                rule: text(v, "rule").unwrap_or_default(),
                pairs: text(v, "pairs"),
                weight: match opt(v, "weight") {
                    Some(OptValue::Number(w)) => Some(*w),
                    _ => None,
                },
            };
            ok(e.add_question(guild, admin, &roles, &input).await)
        }
        "program question remove" => ok(e.remove_question(guild, admin, &roles, int(v, "id").unwrap_or(0)).await),
        "program question list" => ok(e.questions(guild).await),
        "program question ready-made" => ok(e.add_ready_made(guild, admin, &roles).await),
        "program levels" => match text(v, "ladder") {
            Some(ladder) => ok(e.set_levels(guild, admin, &roles, &ladder).await),
            None => ok(e.levels(guild).await),
        },
        "mentor guide" => match int(v, "phase") {
            None => ok(Ok::<_, Error>(mentorbot::domain::guide::overview())),
            Some(i) => match phase_of(i) {
                Some(phase) => ok(e.resources_for(guild, phase).await),
                None => return Err("Please check the options.".into()),
            },
        },
        "program resources add" => {
            let Some(phase) = int(v, "phase").and_then(phase_of) else {
                return Err("Please check the options.".into());
            };
            let title = text(v, "title").unwrap_or_default();
            ok(e.add_resource(
                guild,
                admin,
                &roles,
                phase,
                &title,
                text(v, "link").as_deref(),
                text(v, "text").as_deref(),
            )
            .await)
        }
        "program resources remove" => ok(e.remove_resource(guild, admin, &roles, int(v, "id").unwrap_or(0)).await),
        "program resources list" => ok(e.list_resources(guild, admin, &roles).await),
        "program mentorship view"
        | "program mentorship pause"
        | "program mentorship resume"
        | "program mentorship end"
        | "program mentorship nudge"
        | "program unplace" => {
            let id = match mentorship_number(&text(v, "mentorship").unwrap_or_default()) {
                Ok(id) => id,
                Err(refusal) => return Err(refusal),
            };
            let who = Organiser {
                user: me,
                is_admin: admin,
                roles: &roles,
            };
            match path {
                "program mentorship view" => ok(e.view_mentorship(guild, who, id).await),
                "program mentorship pause" => ok(e.organiser_change(guild, who, id, HandAction::Pause).await),
                "program mentorship resume" => ok(e.organiser_change(guild, who, id, HandAction::Resume).await),
                "program mentorship end" => ok(e.organiser_change(guild, who, id, HandAction::End).await),
                "program mentorship nudge" => ok(e.nudge(guild, who, id).await),
                _ => ok(e.unplace(guild, who, id).await),
            }
        }
        "program invitations" => {
            let who = Organiser {
                user: me,
                is_admin: admin,
                roles: &roles,
            };
            ok(e.program_invitations(guild, who).await)
        }
        "program pair" => {
            let (Some(mentee), Some(mentor)) = (user(v, "mentee"), user(v, "mentor")) else {
                return Err("Please check the options.".into());
            };
            let kind = match int(v, "kind") {
                None => None,
                Some(0) => Some(Kind::Classic),
                Some(1) => Some(Kind::Reverse),
                Some(_) => return Err("Please check the options.".into()),
            };
            if mentee.bot || mentor.bot {
                return Err("That is a bot; mention a person instead.".into());
            }
            let who = Organiser {
                user: me,
                is_admin: admin,
                roles: &roles,
            };
            ok(e.pair_by_hand(guild, who, mentee.user, mentor.user, kind).await)
        }
        "program import" => {
            let who = Organiser {
                user: me,
                is_admin: admin,
                roles: &roles,
            };
            // As the bot: the organiser first, then the file (refused whole, or read row by row).
            if let Err(err) = e.may_import(guild, who).await {
                return Ok(Err(err));
            }
            let Some(OptValue::File(bytes)) = opt(v, "file") else {
                return Err("Please check the options.".into());
            };
            let file = mentorbot::domain::import::read(bytes).map_err(|e| format!("cannot be imported: {e}"))?;
            // The people are found by id (the bot asks Discord; here every id is taken as found).
            let mut bad = file.bad;
            let mut rows = Vec::new();
            for r in file.rows {
                match r.who {
                    mentorbot::domain::import::Who::Id(id) => rows.push(mentorbot::engine::import::ImportRow {
                        line: r.line,
                        user: UserId(id),
                        name: format!("member {id}"),
                        fields: r.fields,
                    }),
                    other => bad.push(mentorbot::domain::import::BadRow {
                        line: r.line,
                        reason: format!("user: no member of this server is {other}"),
                    }),
                }
            }
            ok(e.plan_import(guild, who, rows, bad).await)
        }
        other => panic!("a registered command the suite does not run: /{other}"),
    })
}

/// Runs one interaction against the engine (inside a task, so a panic is caught).
pub async fn run(e: &Engine, act: &Act) -> Result<Outcome, String> {
    let e = e.clone();
    let act = act.clone();
    let task = tokio::spawn(async move {
        let res: Result<Res, String> = match &act {
            Act::Command {
                who,
                guild,
                admin,
                path,
                values,
                key,
            } => command(&e, *who, *guild, *admin, path, values, *key).await,
            Act::Button { who, custom_id, values } => {
                let presser = Presser {
                    user: who.user,
                    bot: who.bot,
                };
                let id = CustomId::parse(custom_id);
                match (
                    id.as_ref().and_then(|id| id.select()),
                    id.as_ref().and_then(|id| id.press()),
                ) {
                    (Some(select), _) => Ok(ok(e.select(presser, select, values).await)),
                    (None, Some(press)) => Ok(ok(e.press(presser, press).await)),
                    (None, None) => Err("This button or form is no longer valid.".into()),
                }
            }
            Act::Form { who, custom_id, fields } => {
                let presser = Presser {
                    user: who.user,
                    bot: who.bot,
                };
                let fields: HashMap<String, String> = fields.iter().cloned().collect();
                match CustomId::parse(custom_id).and_then(|id| id.submit()) {
                    None => Err("This button or form is no longer valid.".into()),
                    Some(submit) => Ok(ok(e.submit(presser, submit, &fields).await)),
                }
            }
        };
        match res {
            Err(edge) => Outcome::Refused(edge),
            Ok(Ok(text)) => Outcome::Accepted(text),
            Ok(Err(Error::Internal(err))) => Outcome::Internal(format!("{err:?}")),
            Ok(Err(err)) => Outcome::Refused(err.user_message()),
        }
    });
    task.await.map_err(|e| format!("panicked: {e}"))
}

/// Private words an accepted form wrote, registered under their markers.
pub async fn register_written(e: &Engine, markers: &mut Markers, act: &Act, outcome: &Outcome) {
    let (Act::Form { who, custom_id, fields }, Outcome::Accepted(_)) = (act, outcome) else {
        return;
    };
    let Some(submit) = CustomId::parse(custom_id).and_then(|id| id.submit()) else {
        return;
    };
    let field = |n: &str| {
        fields
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match submit {
        Submit::Reflection { guild, rel, .. } => {
            let entries = e.store().journal_of(guild, who.user, Some(rel)).await.unwrap();
            if let Some(entry) = entries.last() {
                let text = format!("{:?}", entry.answers);
                markers.register(
                    &text,
                    Marker {
                        guild,
                        rel,
                        author: who.user,
                        words: Words::Journal(entry.id),
                    },
                );
            }
        }
        Submit::Retro { guild, rel } => markers.register(
            &format!("{} {}", field("learned"), field("differently")),
            Marker {
                guild,
                rel,
                author: who.user,
                words: Words::Retro,
            },
        ),
        Submit::Draft { .. } => {
            // An agreement written through a draft: the newest version of some mentorship of
            // theirs holds the words.
            let text = format!("{} {}", field("expectations"), field("issue_handling"));
            if find_markers(&text).is_empty() {
                return;
            }
            for g in [GUILD, OTHER_GUILD] {
                for r in e.store().relationships_of(g, who.user).await.unwrap() {
                    if let Some(a) = r.latest_agreement() {
                        if format!("{:?}", a.terms).contains(&find_markers(&text)[0]) {
                            markers.register(
                                &text,
                                Marker {
                                    guild: g,
                                    rel: r.id,
                                    author: who.user,
                                    words: Words::Agreement,
                                },
                            );
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

// ----- the whole database, as text --------------------------------------------------------------

/// Every row of every table (read from the database's own catalogue), as sorted text. Left out:
/// `bot_processes`, each live process's claim to its share of the rate limit, which it renews on
/// a timer whatever anyone does.
pub struct Snapshotter {
    sqlite: Option<tokio::sync::Mutex<sqlx::SqliteConnection>>,
    pg: Option<tokio::sync::Mutex<sqlx::PgConnection>>,
    queries: Vec<String>,
}

impl Snapshotter {
    pub async fn new(w: &World) -> Snapshotter {
        use sqlx::Connection;
        let mut queries = Vec::new();
        if let Some(options) = &w.pg_options {
            let mut conn = sqlx::PgConnection::connect_with(options).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
                 AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' \
                 AND table_name <> 'bot_processes' ORDER BY 1",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for (t,) in tables {
                queries.push(format!("SELECT '{t}:' || x::text FROM \"{t}\" x ORDER BY 1"));
            }
        } else {
            let url = w.sqlite_url.clone().expect("a SQLite world");
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let columns: Vec<(String, String)> = sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE '_sqlx%' AND m.name NOT LIKE 'sqlite%' \
                 AND m.name <> 'bot_processes' ORDER BY m.name, p.cid",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (t, c) in columns {
                by_table.entry(t).or_default().push(format!("quote(\"{c}\")"));
            }
            for (t, cols) in by_table {
                queries.push(format!(
                    "SELECT '{t}:' || {} FROM \"{t}\" ORDER BY 1",
                    cols.join(" || '|' || ")
                ));
            }
        }
        let sqlite = match &w.sqlite_url {
            Some(url) => Some(tokio::sync::Mutex::new(
                sqlx::SqliteConnection::connect(url).await.unwrap(),
            )),
            None => None,
        };
        let pg = match &w.pg_options {
            Some(options) => Some(tokio::sync::Mutex::new(
                sqlx::PgConnection::connect_with(options).await.unwrap(),
            )),
            None => None,
        };
        Snapshotter { sqlite, pg, queries }
    }

    pub async fn take(&self) -> Vec<String> {
        let mut out = Vec::new();
        for q in &self.queries {
            let rows: Vec<(String,)> = if let Some(conn) = &self.pg {
                let mut conn = conn.lock().await;
                sqlx::query_as(sqlx::AssertSqlSafe(q.clone()))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap()
            } else {
                let mut conn = self.sqlite.as_ref().expect("a database").lock().await;
                sqlx::query_as(sqlx::AssertSqlSafe(q.clone()))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap()
            };
            out.extend(rows.into_iter().map(|r| r.0));
        }
        out
    }

    /// Empties every table, for the next round.
    pub async fn wipe(&self) {
        let tables: Vec<String> = self
            .queries
            .iter()
            .map(|q| q.split('\'').nth(1).unwrap().trim_end_matches(':').to_string())
            .collect();
        if let Some(conn) = &self.pg {
            let mut conn = conn.lock().await;
            let list: Vec<String> = tables.iter().map(|t| format!("\"{t}\"")).collect();
            let sql = format!("TRUNCATE {} CASCADE", list.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();
        } else if let Some(conn) = &self.sqlite {
            let mut conn = conn.lock().await;
            // The snapshot's own connection: the bot's keep checking foreign keys.
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await
                .unwrap();
            for t in &tables {
                let sql = format!("DELETE FROM \"{t}\"");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();
            }
        }
    }
}

// ----- the tally ----------------------------------------------------------------------------------

#[derive(Default, Debug)]
pub struct Tally {
    pub accepted: u64,
    pub refused: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<&'static str, (u64, u64)>,
    pub failures: Vec<String>,
}

impl Tally {
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    pub fn note(&mut self, act: &Act, outcome: &Outcome) {
        let kind = match act {
            Act::Command { .. } => "commands",
            Act::Button { .. } => "buttons",
            Act::Form { .. } => "forms",
        };
        let entry = self.by_kind.entry(kind).or_default();
        match outcome {
            Outcome::Accepted(_) => {
                self.accepted += 1;
                entry.0 += 1;
            }
            Outcome::Refused(why) => {
                entry.1 += 1;
                *self.refused.entry(reason(why)).or_default() += 1;
            }
            Outcome::Internal(err) => self.failures.push(format!("our own failure on {act:?}: {err}")),
        }
    }

    pub fn print(&self, what: &str) {
        println!(
            "hostile suite, {what}: {} interactions, {} accepted, {} refused",
            self.accepted + self.refused_total(),
            self.accepted,
            self.refused_total()
        );
        for (kind, (a, r)) in &self.by_kind {
            println!("  {kind}: {a} accepted, {r} refused");
        }
        println!("  refused, why:");
        let mut why: Vec<(&String, &u64)> = self.refused.iter().collect();
        why.sort_by(|a, b| b.1.cmp(a.1));
        for (reason, n) in why {
            println!("    {n:>6}  {reason}");
        }
    }

    pub fn assert_sound(&self, expected: u64) {
        assert!(
            self.failures.is_empty(),
            "{} failure(s):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert_eq!(
            self.accepted + self.refused_total(),
            expected,
            "every interaction answered"
        );
        assert!(
            self.accepted > expected / 50,
            "too few accepted to mean anything: {}",
            self.accepted
        );
    }
}

/// A refusal's reason, without its numbers and quoted values, to count alike ones together.
pub fn reason(text: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
            if quoted {
                out.push_str("\"…");
            }
            continue;
        }
        if quoted {
            continue;
        }
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    let out: String = out.chars().take(90).collect();
    out.replace("<@#>", "@someone")
}

/// The commands that keep their options in a draft while their form is open.
pub const OPENS_A_FORM: [&str; 6] = [
    "mentor offer",
    "mentor seek",
    "mentor request",
    "mentor offer-to",
    "mentor peer-group",
    "mentorship agreement",
];

// ----- the engine run -----------------------------------------------------------------------------

/// `count` interactions in rounds of `round` on a freshly seeded program (same database file).
pub async fn run_engine(world: World, seed_bytes: [u8; 32], count: u64, round: u64) -> Tally {
    let mut g = Gen::new(seed_bytes);
    let specs = registered();
    assert!(specs.len() >= 25, "the registered commands: {specs:?}");
    let snap = Snapshotter::new(&world).await;
    let e = world.engine.clone();
    let mut tally = Tally::default();
    let mut markers = Markers::default();
    let mut pools = Pools::default();
    for step in 0..count {
        if step % round == 0 {
            if step > 0 {
                snap.wipe().await;
                world.add_fixture_members().await;
            }
            world.clock.set(crate::common::start_time());
            markers = Markers::default();
            seed(&world, &mut markers).await;
            pools = Pools::default();
            pools.refresh(&world.store).await;
        } else if step % 100 == 0 {
            let drafts = std::mem::take(&mut pools.drafts);
            pools.refresh(&world.store).await;
            pools.drafts = drafts;
        }
        let act = act(&mut g, &specs, &pools, &mut markers, step);
        if let Act::Command { key, path, .. } = &act {
            if OPENS_A_FORM.contains(&path.as_str()) {
                pools.drafts.push(*key);
            }
        }
        let before = snap.take().await;
        let outcome = match run(&e, &act).await {
            Ok(o) => o,
            Err(panic) => {
                tally.failures.push(format!("step {step}: {panic} on {act:?}"));
                continue;
            }
        };
        tally.note(&act, &outcome);
        match &outcome {
            Outcome::Refused(why) => {
                assert!(!why.trim().is_empty(), "an empty answer to {act:?}");
                let after = snap.take().await;
                if before != after {
                    let changed: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
                    let gone: Vec<&String> = before.iter().filter(|r| !after.contains(r)).collect();
                    tally.failures.push(format!(
                        "step {step}: refused ({why}) but changed the database: new {changed:?}, gone {gone:?}, by {act:?}"
                    ));
                }
                let leaked = markers.leaked(&world.store, act.who().user, why).await;
                if !leaked.is_empty() {
                    tally
                        .failures
                        .push(format!("step {step}: {leaked:?} reached {:?} in {why}", act.who()));
                }
            }
            Outcome::Accepted(text) => {
                register_written(&e, &mut markers, &act, &outcome).await;
                let leaked = markers.leaked(&world.store, act.who().user, text).await;
                if !leaked.is_empty() {
                    tally.failures.push(format!(
                        "step {step}: {leaked:?} reached {:?} through {act:?}",
                        act.who()
                    ));
                }
            }
            Outcome::Internal(_) => {}
        }
        // Time moves on a little: invitations lapse, drafts age, days pass for the caps.
        if g.chance(3) {
            world
                .clock
                .advance(chrono::Duration::hours(g.pick(&[1, 6, 25, 24 * 8])));
        }
    }
    tally
}
