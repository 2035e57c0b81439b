//! Program-wide matching of mentees with mentors (issue 4): the score of a pair, the optimal
//! capacity-aware assignment with its proof of optimality, and plain-words reasons.
//!
//! Self-contained: std, serde/serde_json, chrono and chrono-tz only.
//!
//! - [`parse_program`] reads and validates a program file (the `match --input` format);
//! - [`score_pair`] scores one pair by the table (for `/mentor suggest`);
//! - [`solve()`] / [`solve_with_bonus`] find the optimum over the whole program and prove it;
//! - [`run_cli`] is `mentorbot match --input F [--output G]`.
//!
//! The semantics where the issue leaves room (unordered `exclude`, names as trimmed
//! lower-cased sets, windows crossing midnight or ending at 24:00, missing fields, the
//! `min_score` tolerance) follow the benchmark README's section "Semantics the scripts fix",
//! and scores are computed in the reference scorer's order, so they agree bit for bit.

pub mod criteria;
pub mod program;
mod qcache;
pub mod reasons;
pub mod score;
pub mod solve;

#[cfg(test)]
mod criteria_tests;
#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::Path;

pub use criteria::{Rule, Wish, DEFAULT_EXTRA_WEIGHTS, EXTRA_CRITERIA};
pub use program::{parse_program, Person, Program, ProgramError, CRITERIA, DEFAULT_WEIGHTS, KINDS};
pub use score::{score_pair, Criteria, PairScore};
pub use solve::{solve, solve_with_bonus, MatchResult, PairOut, UnmatchedOut};

/// `mentorbot match --input F [--output G]`: reads the program file, solves it and writes the
/// result JSON to `output` (or stdout). Returns the exit status: 0, or 2 with the message on
/// stderr when the file cannot be read or is malformed.
pub fn run_cli(input: &Path, output: Option<&Path>) -> i32 {
    let debug = std::env::var_os("MATCH_DEBUG").is_some();
    let t0 = std::time::Instant::now();
    let text = match std::fs::read(input) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("match: {}: bad JSON: {e}", input.display());
                return 2;
            }
        },
        Err(e) => {
            eprintln!("match: {}: {e}", input.display());
            return 2;
        }
    };
    let program = match parse_program(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("match: {}: {e}", input.display());
            return 2;
        }
    };
    drop(text);
    if debug {
        eprintln!("match: parsed in {:.3}s", t0.elapsed().as_secs_f64());
    }
    let result = solve(&program);
    if debug {
        eprintln!("match: solved at {:.3}s", t0.elapsed().as_secs_f64());
    }
    let written = match output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            serde_json::to_writer(&mut w, &result)?;
            w.write_all(b"\n")?;
            w.flush()
        }),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            serde_json::to_writer(&mut w, &result)
                .map_err(std::io::Error::from)
                .and_then(|_| w.write_all(b"\n"))
                .and_then(|_| w.flush())
        }
    };
    if debug {
        eprintln!("match: written at {:.3}s", t0.elapsed().as_secs_f64());
    }
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "match: cannot write {}: {e}",
                output.map(|p| p.display().to_string()).unwrap_or("stdout".into())
            );
            2
        }
    }
}
