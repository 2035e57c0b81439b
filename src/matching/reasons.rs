//! Plain-words reasons: why a pair was made, and why a mentee was left unplaced.

use super::program::{Program, KINDS, WEEK_S};
use super::score::PairScore;

const DAY_ABBR: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn hours(seconds: i64) -> String {
    let h = seconds as f64 / 3600.0;
    if h == h.round() {
        format!("{h:.0}")
    } else {
        let s = format!("{h:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn clock(week_s: i64) -> String {
    let t = week_s.rem_euclid(WEEK_S);
    let day = (t / 86_400) as usize;
    let min = (t % 86_400) / 60;
    format!("{} {:02}:{:02}", DAY_ABBR[day], min / 60, min % 60)
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!("{} and {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

/// The first stretch of time both are free, in the mentee's local time.
fn first_shared(a: &[(i64, i64)], b: &[(i64, i64)], offset_s: i64) -> Option<String> {
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        let lo = a[x].0.max(b[y].0);
        let hi = a[x].1.min(b[y].1);
        if hi > lo {
            let end = clock(hi + offset_s);
            let end_time = end.split(' ').nth(1).unwrap_or("").to_string();
            let end_time = if end_time == "00:00" && (hi - lo) < 86_400 {
                "24:00".to_string()
            } else {
                end_time
            };
            return Some(format!("{}-{}", clock(lo + offset_s), end_time));
        }
        if a[x].1 < b[y].1 {
            x += 1;
        } else {
            y += 1;
        }
    }
    None
}

/// Short plain-English reasons for pairing mentee `i` with mentor `j`, from the criteria.
pub fn pair_reasons(p: &Program, i: usize, j: usize, ps: &PairScore) -> Vec<String> {
    let e = &p.mentees[i];
    let m = &p.mentors[j];
    let mut out = Vec::new();
    let common: Vec<String> = e
        .goal_spellings
        .iter()
        .filter(|(n, _)| m.topics.binary_search(n).is_ok())
        .map(|(_, s)| s.clone())
        .collect();
    if !common.is_empty() {
        out.push(format!("you both want to work on {}", list(&common)));
    }
    let covered = e.topics.iter().filter(|n| m.skills.binary_search(n).is_ok()).count();
    if covered > 0 {
        out.push(format!(
            "the mentor has skills for {covered} of your {} goals",
            e.topics.len()
        ));
    }
    // Profession, unit, level and the organisers' questions (nothing for a file without them).
    out.extend(super::criteria::extra_reasons(p, i, j));
    if ps.shared_s > 0 {
        let mut s = format!("{} h a week you are both free", hours(ps.shared_s));
        if let Some(ex) = first_shared(&e.utc, &m.utc, e.offset_s) {
            s.push_str(&format!(", e.g. {ex} your time"));
        }
        out.push(s);
    } else {
        out.push("no weekly time you are both free yet".to_string());
    }
    let d = (e.offset_s - m.offset_s).abs() as f64 / 3600.0 % 24.0;
    let d = d.min(24.0 - d);
    if d == 0.0 {
        out.push("same time zone".to_string());
    } else {
        let h = hours((d * 3600.0).round() as i64);
        out.push(format!("time zones {h} h apart"));
    }
    let styles: Vec<String> = e
        .styles
        .iter()
        .filter(|s| m.styles.binary_search(s).is_ok())
        .cloned()
        .collect();
    if !styles.is_empty() {
        out.push(format!("you both like a {} style", styles.join(" or ")));
    }
    let methods: Vec<String> = e
        .methods
        .iter()
        .filter(|s| m.methods.binary_search(s).is_ok())
        .cloned()
        .collect();
    if !methods.is_empty() {
        out.push(format!("you can both meet by {}", methods.join(" or ")));
    }
    if ps.criteria.kind == 1.0 {
        out.push(format!("the mentor offers {} mentoring", KINDS[e.kind]));
    } else {
        out.push(format!("the mentor does not list {} mentoring", KINDS[e.kind]));
    }
    out
}

/// Why mentee `i` is unplaced, given how many mentors it may be paired with (`allowed`) and
/// how many scored below `min_score` (`below`).
pub fn unmatched_reason(p: &Program, i: usize, allowed: u32, below: u32) -> String {
    let open = p.mentors.iter().filter(|m| m.capacity > 0).count();
    if open == 0 {
        return "no mentor has any capacity".to_string();
    }
    if allowed == 0 {
        let excluded = p
            .excluded
            .iter()
            .filter(|&&(a, j)| a == i && p.mentors[j].capacity > 0)
            .count();
        let own = p.mentors.iter().any(|m| m.capacity > 0 && m.id == p.mentees[i].id);
        let mut parts = Vec::new();
        if excluded > 0 {
            parts.push(format!("{excluded} excluded (past, declined or blocked)"));
        }
        if below > 0 {
            parts.push(format!("{below} below the minimum score"));
        }
        if own {
            parts.push("1 is the mentee themself".to_string());
        }
        return format!("no eligible mentor: of {open} mentors with capacity, {}", list(&parts));
    }
    format!(
        "no mentor with capacity left: all {allowed} eligible mentors are full in the best \
         overall assignment"
    )
}
