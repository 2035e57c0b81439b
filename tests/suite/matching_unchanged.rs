//! A program file without `questions`, `answers`, professions or levels scores exactly as it
//! did before those were added (issue 13): the whole output of `match` (pairs, scores to the
//! last bit, criteria, reasons, unmatched, total) is compared with what the code gave before
//! the change, as a fingerprint (FNV-1a 64 of the result JSON).
//!
//! The expected fingerprints were recorded with the code of commit 1f24dec (before issue 13),
//! by running this file with `GOLDEN_PRINT=1 cargo test --test suite matching_unchanged:: -- --nocapture`.
//!
//! Programs: the issue's example, deterministic programs in the shape of the benchmark's
//! generator (built here), and, when the shared benchmark scripts are present, the standard
//! 1,000-mentee benchmark program itself (`gen_program.py --mentees 1000 --seed 42`).
use std::path::PathBuf;

use mentorbot::matching::{parse_program, solve};
use serde_json::{json, Value};

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The fingerprint of `match`'s output for a program, and its total score to the sixth decimal.
fn run(program: &str) -> (u64, String, usize) {
    let p = parse_program(program).expect("a valid program");
    let r = solve(&p);
    assert!(r.optimal);
    let out = serde_json::to_string(&r).unwrap();
    (fnv1a(out.as_bytes()), format!("{:.6}", r.total_score), r.pairs.len())
}

fn check(name: &str, program: &str, expected: (u64, &str, usize)) {
    let (fp, total, placed) = run(program);
    if std::env::var_os("GOLDEN_PRINT").is_some() {
        println!("{name}: (0x{fp:016x}, \"{total}\", {placed})");
        return;
    }
    assert_eq!(total, expected.1, "{name}: total score");
    assert_eq!(placed, expected.2, "{name}: placed");
    assert_eq!(
        fp, expected.0,
        "{name}: the output differs from the code before issue 13"
    );
}

/// A small deterministic generator (64-bit LCG) of programs in the benchmark's shape.
struct Gen(u64);

impl Gen {
    fn next(&mut self, k: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % k
    }
}

const ZONES: [&str; 9] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "America/Sao_Paulo",
];
const DAYS: [&str; 7] = ["mon", "Tue", "wed", "thursday", "fri", "SAT", "sun"];
const STYLES: [&str; 4] = ["coaching", "Directive", "socratic ", "hands-on"];
const METHODS: [&str; 4] = ["video", "voice", "text", "in_person"];
const KINDS: [&str; 3] = ["classic", "reverse", "peer"];

fn topic(g: &mut Gen, vocab: u64) -> String {
    let t = format!("t{:03}", g.next(vocab));
    match g.next(6) {
        0 => t.to_uppercase(),
        1 => format!("  {t} "),
        _ => t,
    }
}

fn list(g: &mut Gen, max: u64, f: &mut dyn FnMut(&mut Gen) -> String) -> Vec<String> {
    let n = g.next(max + 1);
    (0..n).map(|_| f(g)).collect()
}

fn windows(g: &mut Gen) -> Vec<String> {
    let n = g.next(4);
    (0..n)
        .map(|_| {
            let d = DAYS[g.next(7) as usize];
            let h = g.next(24);
            let m = [0, 30, 15, 45][g.next(4) as usize];
            let len = 30 * (1 + g.next(8));
            let end = (h * 60 + m + len) % 1440;
            let end = if end == 0 && g.next(2) == 0 {
                "24:00".to_string()
            } else {
                format!("{:02}:{:02}", end / 60, end % 60)
            };
            format!("{d} {h:02}:{m:02}-{end}")
        })
        .collect()
}

fn generated(seed: u64, mentees: usize, mentors: usize, vocab: u64, extras: bool) -> String {
    let mut g = Gen(seed);
    let mut ms = Vec::new();
    for j in 0..mentors {
        let id = if extras && g.next(40) == 0 {
            format!("e{}", g.next(mentees as u64))
        } else {
            format!("m{j}")
        };
        let mut o = json!({
            "id": id,
            "capacity": if extras { g.next(4) } else { 2 },
            "topics": list(&mut g, 5, &mut |g| topic(g, vocab)),
            "skills": list(&mut g, 4, &mut |g| topic(g, vocab)),
            "styles": list(&mut g, 2, &mut |g| STYLES[g.next(4) as usize].to_string()),
            "timezone": ZONES[g.next(9) as usize],
            "availability": windows(&mut g),
            "methods": list(&mut g, 2, &mut |g| METHODS[g.next(4) as usize].to_string()),
        });
        if g.next(3) > 0 {
            o["kinds"] = json!(list(&mut g, 3, &mut |g| KINDS[g.next(3) as usize].to_string()));
        }
        ms.push(o);
    }
    let mut es = Vec::new();
    for i in 0..mentees {
        let mut o = json!({
            "id": format!("e{i}"),
            "goals": list(&mut g, 4, &mut |g| topic(g, vocab)),
            "styles": list(&mut g, 2, &mut |g| STYLES[g.next(4) as usize].to_string()),
            "timezone": ZONES[g.next(9) as usize],
            "availability": windows(&mut g),
            "methods": list(&mut g, 2, &mut |g| METHODS[g.next(4) as usize].to_string()),
        });
        if g.next(4) > 0 {
            o["kind"] = json!(KINDS[g.next(3) as usize]);
        }
        es.push(o);
    }
    let exclude: Vec<Value> = (0..mentees / 20)
        .map(|_| {
            json!([
                format!("e{}", g.next(mentees as u64)),
                format!("m{}", g.next(mentors as u64))
            ])
        })
        .collect();
    let mut v = json!({
        "at": "2026-03-29T00:30:00Z",
        "mentors": ms,
        "mentees": es,
        "exclude": exclude,
    });
    if extras {
        v["weights"] = json!({"topic": 0.5, "availability": 0.35, "kind": 0.0});
        v["min_score"] = json!(0.25);
    }
    v.to_string()
}

fn issue_example() -> String {
    json!({
        "at": "2026-01-15T12:00:00Z",
        "weights": {"topic": 0.30, "skill": 0.15, "style": 0.10, "timezone": 0.10,
                    "availability": 0.20, "method": 0.05, "kind": 0.10},
        "min_score": 0.0,
        "mentors": [{"id": "u17", "capacity": 2, "topics": ["rust", "career"],
                     "skills": ["code review"], "styles": ["coaching"],
                     "timezone": "Europe/Berlin",
                     "availability": ["tue 18:00-20:00", "sat 10:00-14:00"],
                     "methods": ["video", "voice"], "kinds": ["classic", "reverse"]}],
        "mentees": [{"id": "u3", "goals": ["rust"], "styles": ["coaching"],
                     "timezone": "America/New_York", "availability": ["tue 12:00-15:00"],
                     "methods": ["video"], "kind": "classic"}],
        "exclude": [["u3", "u99"]]
    })
    .to_string()
}

#[test]
fn programs_without_questions_score_as_before() {
    check("issue example", &issue_example(), (0x15489420fc45a2d6, "0.516667", 1));
    check(
        "generated 60 x 30, tight vocabulary",
        &generated(7, 60, 30, 12, false),
        (0x3b533030fd36326d, "26.643214", 60),
    );
    check(
        "generated 300 x 150, capacities, self ids, min_score, weights",
        &generated(42, 300, 150, 40, true),
        (0x848ec0c7d659c93a, "103.837798", 236),
    );
    check(
        "generated 1000 x 500, the benchmark's shape",
        &generated(2026, 1000, 500, 200, false),
        (0x392c47c4097dec7f, "427.349881", 1000),
    );
}

/// The shared benchmark scripts, when this machine has them (`MATCHING_BENCH_DIR`, else
/// `../shared/bench/matching` beside the repository).
fn bench_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MATCHING_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/matching"));
    dir.join("gen_program.py").is_file().then_some(dir)
}

#[test]
fn the_standard_benchmark_program_scores_as_before() {
    let Some(dir) = bench_dir() else {
        eprintln!(
            "SKIPPED LOUDLY: no gen_program.py in MATCHING_BENCH_DIR or ../shared/bench/matching; the standard \
             1,000 program was not compared (the generated programs above were)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("program_1000.json");
    let status = std::process::Command::new("python3")
        .arg(dir.join("gen_program.py"))
        .args(["--mentees", "1000", "--seed", "42", "-o"])
        .arg(&out)
        .status()
        .expect("python3 runs gen_program.py");
    assert!(status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    // The reference optimum of this program (the benchmark README's table).
    check(
        "benchmark program_1000",
        &text,
        (0x10b4aedf43d253ca, "573.328115", 1000),
    );
}
