//! From a frequency to occurrences: local wall-clock times in the agreement's
//! zone, turned into instants.
//!
//! Rules:
//! - Every occurrence is a local wall-clock time in the zone. A local time that
//!   does not exist (clocks spring forward) moves forward by the length of the
//!   gap (02:30 becomes 03:30; with Australia/Lord_Howe's 30-minute shift 02:15
//!   becomes 02:45). A local time that happens twice (clocks fall back) means
//!   the first of the two (the earlier instant).
//! - Occurrences are strictly increasing; the first is at or after the start
//!   (both as a local wall-clock time and as an instant); none has a local
//!   date after `until`. Nothing after 9999-12-31 is produced.
//! - Cron: every matching local wall-clock minute gives one instant (the rules
//!   above); two minutes giving the same instant (a gap time moved onto an
//!   existing one) give one occurrence, and occurrences come out sorted even
//!   when a moved gap time lands after a later wall-clock time.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::frequency::{CronSpec, Frequency};

/// One check-in: the same instant in UTC and in the agreement's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Occurrence {
    pub utc: DateTime<Utc>,
    pub local: DateTime<Tz>,
}

impl Occurrence {
    fn new(local: DateTime<Tz>) -> Self {
        Occurrence {
            utc: local.with_timezone(&Utc),
            local,
        }
    }
}

/// The instant of a local wall-clock time under the rules above: a time in a
/// gap moves forward by the gap, an ambiguous time means the earlier instant.
pub fn resolve_local(tz: Tz, naive: NaiveDateTime) -> DateTime<Tz> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(a, b) => a.min(b),
        LocalResult::None => {
            // In a gap the offsets on both sides of the transition are found by
            // looking up the offset at `naive - offset`: from one side it lands on
            // the other. The offset before the gap is the smaller one, and the
            // wall time read with it is the instant the gap time moves to.
            let offset_at = |secs: i32| {
                let instant = naive - Duration::seconds(i64::from(secs));
                tz.offset_from_utc_datetime(&instant).fix().local_minus_utc()
            };
            let o1 = offset_at(offset_at(0));
            let o2 = offset_at(o1);
            let before = o1.min(o2);
            let instant = naive - Duration::seconds(i64::from(before));
            tz.from_utc_datetime(&instant)
        }
    }
}

fn last_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date")
}

/// The occurrences of `freq` from `start` (a local wall-clock time in `tz`),
/// up to and including the local date `until`. Lazy; endless without `until`
/// (up to the year 9999).
pub fn occurrences(start: NaiveDateTime, tz: Tz, freq: &Frequency, until: Option<NaiveDate>) -> Occurrences {
    let start_local = resolve_local(tz, start);
    let start_utc = start_local.with_timezone(&Utc);
    let until = until.map_or(last_date(), |u| u.min(last_date()));
    let inner = match freq {
        Frequency::Cron(spec) => Inner::Cron(CronIter {
            spec: spec.clone(),
            tz,
            start,
            start_utc,
            until,
            day: Some(start.date()),
            buffer: BTreeSet::new(),
            last: None,
        }),
        other => {
            let rule = match *other {
                Frequency::Weekly { every_weeks } => Rule::Weekly {
                    days: 7 * i64::from(every_weeks.max(1)),
                },
                Frequency::MonthlyOrdinalWeekday => {
                    let nth = (start.day() - 1) / 7 + 1;
                    Rule::Ordinal {
                        weekday: start.weekday(),
                        nth: if nth >= 5 { None } else { Some(nth) },
                    }
                }
                Frequency::MonthlyOnDay(d) => Rule::OnDay(d.clamp(1, 31)),
                Frequency::Cron(_) => unreachable!("handled above"),
            };
            Inner::Rule(RuleIter {
                rule,
                tz,
                start,
                start_utc,
                until,
                index: 0,
                last: None,
                done: false,
            })
        }
    };
    Occurrences { inner }
}

/// The first occurrence strictly after `after_utc` (the same as filtering
/// [`occurrences`], without walking from the start).
pub fn next_after(
    start: NaiveDateTime,
    tz: Tz,
    freq: &Frequency,
    after_utc: DateTime<Utc>,
    until: Option<NaiveDate>,
) -> Option<Occurrence> {
    let mut it = occurrences(start, tz, freq, until);
    match &mut it.inner {
        Inner::Rule(r) => r.skip_to(after_utc),
        Inner::Cron(c) => c.skip_to(after_utc),
    }
    it.find(|o| o.utc > after_utc)
}

/// The iterator returned by [`occurrences`].
#[derive(Debug, Clone)]
pub struct Occurrences {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Rule(RuleIter),
    Cron(CronIter),
}

impl Iterator for Occurrences {
    type Item = Occurrence;
    fn next(&mut self) -> Option<Occurrence> {
        match &mut self.inner {
            Inner::Rule(r) => r.next(),
            Inner::Cron(c) => c.next(),
        }
    }
}

// ---------------------------------------------------------------------------
// Weekly and monthly rules: occurrence number `index` is computed directly.

#[derive(Debug, Clone, Copy)]
enum Rule {
    Weekly {
        days: i64,
    },
    /// `nth` 1..=4, or `None` for the last such weekday of the month.
    Ordinal {
        weekday: Weekday,
        nth: Option<u32>,
    },
    OnDay(u32),
}

#[derive(Debug, Clone)]
struct RuleIter {
    rule: Rule,
    tz: Tz,
    start: NaiveDateTime,
    start_utc: DateTime<Utc>,
    until: NaiveDate,
    index: i64,
    last: Option<DateTime<Utc>>,
    done: bool,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

/// Month number `index` after the start's month, as (year, month).
fn month_after(start: NaiveDate, index: i64) -> Option<(i32, u32)> {
    let m0 = i64::from(start.year()) * 12 + i64::from(start.month0()) + index;
    let year = i32::try_from(m0.div_euclid(12)).ok()?;
    Some((year, m0.rem_euclid(12) as u32 + 1))
}

impl RuleIter {
    /// The local wall-clock time of occurrence number `index` (None past the
    /// representable range).
    fn wall_time(&self, index: i64) -> Option<NaiveDateTime> {
        let time = self.start.time();
        let date = match self.rule {
            Rule::Weekly { days } => self
                .start
                .date()
                .checked_add_signed(Duration::try_days(days.checked_mul(index)?)?)?,
            Rule::Ordinal { weekday, nth } => {
                let (y, m) = month_after(self.start.date(), index)?;
                match nth {
                    Some(n) => NaiveDate::from_weekday_of_month_opt(y, m, weekday, n as u8)?,
                    None => {
                        let last = NaiveDate::from_ymd_opt(y, m, days_in_month(y, m))?;
                        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
                        last - Duration::days(i64::from(back))
                    }
                }
            }
            Rule::OnDay(d) => {
                let (y, m) = month_after(self.start.date(), index)?;
                NaiveDate::from_ymd_opt(y, m, d.min(days_in_month(y, m)))?
            }
        };
        Some(date.and_time(time))
    }

    /// Jumps close to `after` without passing any occurrence later than it.
    fn skip_to(&mut self, after: DateTime<Utc>) {
        // An occurrence's instant is within a day (plus a gap) of its wall
        // time read as UTC, so two days of margin never skip a later one.
        let target = after.naive_utc() - Duration::days(2);
        let index = match self.rule {
            Rule::Weekly { days } => (target - self.start).num_days().div_euclid(days),
            Rule::Ordinal { .. } | Rule::OnDay(_) => {
                let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
                months(target.date()) - months(self.start.date()) - 1
            }
        };
        self.index = self.index.max(index);
    }
}

impl Iterator for RuleIter {
    type Item = Occurrence;
    fn next(&mut self) -> Option<Occurrence> {
        while !self.done {
            let Some(wall) = self.wall_time(self.index) else {
                self.done = true;
                break;
            };
            self.index += 1;
            if wall < self.start {
                continue; // monthly on a day before the start's day
            }
            if wall.date() > self.until {
                self.done = true;
                break;
            }
            let local = resolve_local(self.tz, wall);
            if local.date_naive() > self.until {
                self.done = true;
                break;
            }
            let occ = Occurrence::new(local);
            if occ.utc.year() > 9999 {
                self.done = true;
                break;
            }
            if occ.utc < self.start_utc || self.last.is_some_and(|l| occ.utc <= l) {
                continue;
            }
            self.last = Some(occ.utc);
            return Some(occ);
        }
        None
    }
}

// ---------------------------------------------------------------------------
// Cron: local days are scanned in order; each matching minute gives an
// instant, kept in a sorted buffer until no later day can give an earlier one.

#[derive(Debug, Clone)]
struct CronIter {
    spec: CronSpec,
    tz: Tz,
    start: NaiveDateTime,
    start_utc: DateTime<Utc>,
    until: NaiveDate,
    /// The next local day to scan (None when scanning is over).
    day: Option<NaiveDate>,
    buffer: BTreeSet<DateTime<Tz>>,
    /// The last instant given out; nothing at or before it is given again.
    last: Option<DateTime<Utc>>,
}

impl CronIter {
    fn skip_to(&mut self, after: DateTime<Utc>) {
        // A wall time on day D gives an instant before D + 2 days read as UTC
        // (offsets are under a day), so days before `after - 2 days` give
        // nothing later than `after`.
        if let (Some(day), Some(from)) = (self.day, after.date_naive().checked_sub_days(chrono::Days::new(2))) {
            self.day = Some(day.max(from));
        }
        self.last = Some(self.last.map_or(after, |l| l.max(after)));
    }

    /// Instants from days on or after `day` are later than this (offsets are
    /// under a day).
    fn lower_bound(day: NaiveDate) -> DateTime<Utc> {
        (day.and_time(NaiveTime::MIN) - Duration::days(1)).and_utc()
    }

    fn scan(&mut self, day: NaiveDate) {
        if !self.spec.date_matches(day) {
            return;
        }
        for (h, m) in self.spec.times() {
            let Some(wall) = day.and_hms_opt(h, m, 0) else {
                continue;
            };
            if wall < self.start {
                continue;
            }
            let local = resolve_local(self.tz, wall);
            let utc = local.with_timezone(&Utc);
            if utc < self.start_utc || local.date_naive() > self.until || utc.year() > 9999 {
                continue;
            }
            if self.last.is_some_and(|l| local.with_timezone(&Utc) <= l) {
                continue;
            }
            self.buffer.insert(local);
        }
    }

    /// The next day to scan after `day`, skipping months the spec excludes.
    fn following_day(&self, day: NaiveDate) -> Option<NaiveDate> {
        let mut next = day.succ_opt()?;
        // Skip whole months that cannot match (at most a year of them).
        for _ in 0..12 {
            if self.spec.month_matches(next.month()) {
                break;
            }
            let (y, m) = month_after(next, 1)?;
            next = NaiveDate::from_ymd_opt(y, m, 1)?;
        }
        Some(next)
    }
}

impl Iterator for CronIter {
    type Item = Occurrence;
    fn next(&mut self) -> Option<Occurrence> {
        loop {
            if let Some(first) = self.buffer.first().copied() {
                let ready = match self.day {
                    None => true,
                    Some(day) => first.with_timezone(&Utc) <= Self::lower_bound(day),
                };
                if ready {
                    self.buffer.pop_first();
                    let occ = Occurrence::new(first);
                    if self.last.is_some_and(|l| occ.utc <= l) {
                        continue;
                    }
                    self.last = Some(occ.utc);
                    return Some(occ);
                }
            }
            let day = self.day?;
            // A wall time of day D lands at most a day later (a gap), so
            // scanning stops a day after `until`.
            if day > self.until.succ_opt().unwrap_or(self.until) || day > last_date() {
                self.day = None;
                continue;
            }
            self.scan(day);
            self.day = self.following_day(day);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::frequency::parse_frequency;
    use super::*;
    use chrono::Timelike;
    use chrono::{Days, NaiveDate};
    use proptest::prelude::*;

    const BERLIN: Tz = Tz::Europe__Berlin;
    const NEW_YORK: Tz = Tz::America__New_York;
    const LORD_HOWE: Tz = Tz::Australia__Lord_Howe;
    const KOLKATA: Tz = Tz::Asia__Kolkata;
    const TOKYO: Tz = Tz::Asia__Tokyo;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }
    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn line(o: &Occurrence) -> String {
        format!(
            "{}  {}",
            o.utc.format("%Y-%m-%dT%H:%M:%SZ"),
            o.local.format("%Y-%m-%dT%H:%M:%S%:z")
        )
    }
    fn lines(start: &str, tz: Tz, freq: &str, count: usize) -> Vec<String> {
        let f = parse_frequency(freq).unwrap();
        occurrences(dt(start), tz, &f, None)
            .take(count)
            .map(|o| line(&o))
            .collect()
    }
    /// Expected values below were computed with Python's zoneinfo (fold=0,
    /// which reads a gap time with the offset before the gap, i.e. moves it
    /// forward by the gap, and takes the first of two repeated times) and
    /// calendar arithmetic, not with this code.
    fn expect(start: &str, tz: Tz, freq: &str, expected: &str) {
        let want: Vec<String> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        assert_eq!(lines(start, tz, freq, want.len()), want, "{start} {tz} {freq}");
    }

    #[test]
    fn every_two_weeks_in_berlin_across_spring_forward() {
        expect(
            "2026-03-02T18:30",
            BERLIN,
            "every 2 weeks",
            "2026-03-02T17:30:00Z  2026-03-02T18:30:00+01:00
             2026-03-16T17:30:00Z  2026-03-16T18:30:00+01:00
             2026-03-30T16:30:00Z  2026-03-30T18:30:00+02:00
             2026-04-13T16:30:00Z  2026-04-13T18:30:00+02:00
             2026-04-27T16:30:00Z  2026-04-27T18:30:00+02:00
             2026-05-11T16:30:00Z  2026-05-11T18:30:00+02:00
             2026-05-25T16:30:00Z  2026-05-25T18:30:00+02:00
             2026-06-08T16:30:00Z  2026-06-08T18:30:00+02:00
             2026-06-22T16:30:00Z  2026-06-22T18:30:00+02:00
             2026-07-06T16:30:00Z  2026-07-06T18:30:00+02:00",
        );
    }

    #[test]
    fn weekly_in_gaps_and_folds() {
        // Berlin: 29 March 02:30 does not exist -> 03:30; 25 October 02:30 twice -> first.
        expect(
            "2026-03-22T02:30",
            BERLIN,
            "weekly",
            "2026-03-22T01:30:00Z  2026-03-22T02:30:00+01:00
             2026-03-29T01:30:00Z  2026-03-29T03:30:00+02:00
             2026-04-05T00:30:00Z  2026-04-05T02:30:00+02:00",
        );
        expect(
            "2026-10-18T02:30",
            BERLIN,
            "weekly",
            "2026-10-18T00:30:00Z  2026-10-18T02:30:00+02:00
             2026-10-25T00:30:00Z  2026-10-25T02:30:00+02:00
             2026-11-01T01:30:00Z  2026-11-01T02:30:00+01:00",
        );
        expect(
            "2026-03-01T02:30",
            NEW_YORK,
            "weekly",
            "2026-03-01T07:30:00Z  2026-03-01T02:30:00-05:00
             2026-03-08T07:30:00Z  2026-03-08T03:30:00-04:00
             2026-03-15T06:30:00Z  2026-03-15T02:30:00-04:00",
        );
        expect(
            "2026-10-25T01:30",
            NEW_YORK,
            "every 1 week",
            "2026-10-25T05:30:00Z  2026-10-25T01:30:00-04:00
             2026-11-01T05:30:00Z  2026-11-01T01:30:00-04:00
             2026-11-08T06:30:00Z  2026-11-08T01:30:00-05:00",
        );
        // Lord Howe moves by 30 minutes: 02:15 becomes 02:45.
        expect(
            "2026-09-27T02:15",
            LORD_HOWE,
            "weekly",
            "2026-09-26T15:45:00Z  2026-09-27T02:15:00+10:30
             2026-10-03T15:45:00Z  2026-10-04T02:45:00+11:00
             2026-10-10T15:15:00Z  2026-10-11T02:15:00+11:00",
        );
        expect(
            "2026-03-29T01:45",
            LORD_HOWE,
            "weekly",
            "2026-03-28T14:45:00Z  2026-03-29T01:45:00+11:00
             2026-04-04T14:45:00Z  2026-04-05T01:45:00+11:00
             2026-04-11T15:15:00Z  2026-04-12T01:45:00+10:30",
        );
        // Samoa skipped 30 December 2011 entirely: moved forward by the whole day.
        expect(
            "2011-12-23T10:00",
            Tz::Pacific__Apia,
            "weekly",
            "2011-12-23T20:00:00Z  2011-12-23T10:00:00-10:00
             2011-12-30T20:00:00Z  2011-12-31T10:00:00+14:00
             2012-01-05T20:00:00Z  2012-01-06T10:00:00+14:00",
        );
    }

    #[test]
    fn start_in_a_gap_is_moved() {
        let f = Frequency::weekly();
        let first = occurrences(dt("2026-03-29T02:30"), BERLIN, &f, None).next().unwrap();
        assert_eq!(line(&first), "2026-03-29T01:30:00Z  2026-03-29T03:30:00+02:00");
        let first = occurrences(dt("2026-10-04T02:15"), LORD_HOWE, &f, None).next().unwrap();
        assert_eq!(line(&first), "2026-10-03T15:45:00Z  2026-10-04T02:45:00+11:00");
    }

    #[test]
    fn every_three_weeks_across_dst_and_no_dst_zones() {
        expect(
            "2026-02-20T09:00",
            NEW_YORK,
            "every 3 weeks",
            "2026-02-20T14:00:00Z  2026-02-20T09:00:00-05:00
             2026-03-13T13:00:00Z  2026-03-13T09:00:00-04:00
             2026-04-03T13:00:00Z  2026-04-03T09:00:00-04:00
             2026-04-24T13:00:00Z  2026-04-24T09:00:00-04:00
             2026-05-15T13:00:00Z  2026-05-15T09:00:00-04:00
             2026-06-05T13:00:00Z  2026-06-05T09:00:00-04:00
             2026-06-26T13:00:00Z  2026-06-26T09:00:00-04:00
             2026-07-17T13:00:00Z  2026-07-17T09:00:00-04:00",
        );
        expect(
            "2028-02-15T12:00",
            Tz::Etc__UTC,
            "every 2 weeks",
            "2028-02-15T12:00:00Z  2028-02-15T12:00:00+00:00
             2028-02-29T12:00:00Z  2028-02-29T12:00:00+00:00
             2028-03-14T12:00:00Z  2028-03-14T12:00:00+00:00",
        );
    }

    #[test]
    fn monthly_on_day_31_and_29_with_short_months_and_leap_years() {
        expect(
            "2024-01-31T09:00",
            KOLKATA,
            "monthly on day 31",
            "2024-01-31T03:30:00Z  2024-01-31T09:00:00+05:30
             2024-02-29T03:30:00Z  2024-02-29T09:00:00+05:30
             2024-03-31T03:30:00Z  2024-03-31T09:00:00+05:30
             2024-04-30T03:30:00Z  2024-04-30T09:00:00+05:30
             2024-05-31T03:30:00Z  2024-05-31T09:00:00+05:30
             2024-06-30T03:30:00Z  2024-06-30T09:00:00+05:30
             2024-07-31T03:30:00Z  2024-07-31T09:00:00+05:30
             2024-08-31T03:30:00Z  2024-08-31T09:00:00+05:30
             2024-09-30T03:30:00Z  2024-09-30T09:00:00+05:30
             2024-10-31T03:30:00Z  2024-10-31T09:00:00+05:30
             2024-11-30T03:30:00Z  2024-11-30T09:00:00+05:30
             2024-12-31T03:30:00Z  2024-12-31T09:00:00+05:30
             2025-01-31T03:30:00Z  2025-01-31T09:00:00+05:30
             2025-02-28T03:30:00Z  2025-02-28T09:00:00+05:30",
        );
        expect(
            "2023-12-29T07:05",
            TOKYO,
            "monthly on day 29",
            "2023-12-28T22:05:00Z  2023-12-29T07:05:00+09:00
             2024-01-28T22:05:00Z  2024-01-29T07:05:00+09:00
             2024-02-28T22:05:00Z  2024-02-29T07:05:00+09:00
             2024-03-28T22:05:00Z  2024-03-29T07:05:00+09:00
             2024-04-28T22:05:00Z  2024-04-29T07:05:00+09:00
             2024-05-28T22:05:00Z  2024-05-29T07:05:00+09:00
             2024-06-28T22:05:00Z  2024-06-29T07:05:00+09:00
             2024-07-28T22:05:00Z  2024-07-29T07:05:00+09:00
             2024-08-28T22:05:00Z  2024-08-29T07:05:00+09:00
             2024-09-28T22:05:00Z  2024-09-29T07:05:00+09:00
             2024-10-28T22:05:00Z  2024-10-29T07:05:00+09:00
             2024-11-28T22:05:00Z  2024-11-29T07:05:00+09:00
             2024-12-28T22:05:00Z  2024-12-29T07:05:00+09:00
             2025-01-28T22:05:00Z  2025-01-29T07:05:00+09:00
             2025-02-27T22:05:00Z  2025-02-28T07:05:00+09:00
             2025-03-28T22:05:00Z  2025-03-29T07:05:00+09:00",
        );
        // The start (31 January) is after day 30 of its month: the first is 28 February.
        expect(
            "2026-01-31T10:00",
            NEW_YORK,
            "monthly on day 30",
            "2026-02-28T15:00:00Z  2026-02-28T10:00:00-05:00
             2026-03-30T14:00:00Z  2026-03-30T10:00:00-04:00
             2026-04-30T14:00:00Z  2026-04-30T10:00:00-04:00
             2026-05-30T14:00:00Z  2026-05-30T10:00:00-04:00",
        );
    }

    #[test]
    fn monthly_ordinal_weekday_and_fifth_week() {
        // 10 March 2026 is the 2nd Tuesday.
        expect(
            "2026-03-10T18:00",
            BERLIN,
            "monthly",
            "2026-03-10T17:00:00Z  2026-03-10T18:00:00+01:00
             2026-04-14T16:00:00Z  2026-04-14T18:00:00+02:00
             2026-05-12T16:00:00Z  2026-05-12T18:00:00+02:00
             2026-06-09T16:00:00Z  2026-06-09T18:00:00+02:00
             2026-07-14T16:00:00Z  2026-07-14T18:00:00+02:00
             2026-08-11T16:00:00Z  2026-08-11T18:00:00+02:00
             2026-09-08T16:00:00Z  2026-09-08T18:00:00+02:00
             2026-10-13T16:00:00Z  2026-10-13T18:00:00+02:00
             2026-11-10T17:00:00Z  2026-11-10T18:00:00+01:00
             2026-12-08T17:00:00Z  2026-12-08T18:00:00+01:00
             2027-01-12T17:00:00Z  2027-01-12T18:00:00+01:00
             2027-02-09T17:00:00Z  2027-02-09T18:00:00+01:00",
        );
        // 31 March 2026 is the 5th Tuesday: the last Tuesday of every month.
        expect(
            "2026-03-31T18:00",
            BERLIN,
            "monthly",
            "2026-03-31T16:00:00Z  2026-03-31T18:00:00+02:00
             2026-04-28T16:00:00Z  2026-04-28T18:00:00+02:00
             2026-05-26T16:00:00Z  2026-05-26T18:00:00+02:00
             2026-06-30T16:00:00Z  2026-06-30T18:00:00+02:00
             2026-07-28T16:00:00Z  2026-07-28T18:00:00+02:00
             2026-08-25T16:00:00Z  2026-08-25T18:00:00+02:00
             2026-09-29T16:00:00Z  2026-09-29T18:00:00+02:00
             2026-10-27T17:00:00Z  2026-10-27T18:00:00+01:00
             2026-11-24T17:00:00Z  2026-11-24T18:00:00+01:00
             2026-12-29T17:00:00Z  2026-12-29T18:00:00+01:00
             2027-01-26T17:00:00Z  2027-01-26T18:00:00+01:00
             2027-02-23T17:00:00Z  2027-02-23T18:00:00+01:00",
        );
        // Day 29 of a leap February is its 5th Thursday (2024): the last Thursday.
        let f = parse_frequency("monthly").unwrap();
        let days: Vec<u32> = occurrences(dt("2024-02-29T12:00"), TOKYO, &f, None)
            .take(4)
            .map(|o| o.local.day())
            .collect();
        assert_eq!(days, vec![29, 28, 25, 30]); // Feb 29, Mar 28, Apr 25, May 30 2024
    }

    #[test]
    fn cron_examples() {
        // Both day fields restricted: the 1st, the 15th, and every Friday.
        expect(
            "2026-03-01T00:00",
            BERLIN,
            "cron: 0 9 1,15 * fri",
            "2026-03-01T08:00:00Z  2026-03-01T09:00:00+01:00
             2026-03-06T08:00:00Z  2026-03-06T09:00:00+01:00
             2026-03-13T08:00:00Z  2026-03-13T09:00:00+01:00
             2026-03-15T08:00:00Z  2026-03-15T09:00:00+01:00
             2026-03-20T08:00:00Z  2026-03-20T09:00:00+01:00
             2026-03-27T08:00:00Z  2026-03-27T09:00:00+01:00
             2026-04-01T07:00:00Z  2026-04-01T09:00:00+02:00
             2026-04-03T07:00:00Z  2026-04-03T09:00:00+02:00",
        );
        // 7 is Sunday; 02:30 on the spring-forward Sunday becomes 03:30.
        expect(
            "2026-02-28T00:00",
            NEW_YORK,
            "cron: 30 2 * * 7",
            "2026-03-01T07:30:00Z  2026-03-01T02:30:00-05:00
             2026-03-08T07:30:00Z  2026-03-08T03:30:00-04:00
             2026-03-15T06:30:00Z  2026-03-15T02:30:00-04:00
             2026-03-22T06:30:00Z  2026-03-22T02:30:00-04:00",
        );
        // Fall back: each wall-clock minute once, the first time it happens.
        expect(
            "2026-10-31T00:00",
            NEW_YORK,
            "cron: 0,30 1-2 * * sun",
            "2026-11-01T05:00:00Z  2026-11-01T01:00:00-04:00
             2026-11-01T05:30:00Z  2026-11-01T01:30:00-04:00
             2026-11-01T07:00:00Z  2026-11-01T02:00:00-05:00
             2026-11-01T07:30:00Z  2026-11-01T02:30:00-05:00",
        );
        expect(
            "2026-10-01T00:00",
            LORD_HOWE,
            "cron: 15 2 4 oct *",
            "2026-10-03T15:45:00Z  2026-10-04T02:45:00+11:00",
        );
        // In Lord Howe's 30-minute gap, 02:00 and 02:15 land on 02:30 and 02:45,
        // which also match: each instant once.
        expect(
            "2026-10-03T00:00",
            LORD_HOWE,
            "cron: */15 2 * * *",
            "2026-10-02T15:30:00Z  2026-10-03T02:00:00+10:30
             2026-10-02T15:45:00Z  2026-10-03T02:15:00+10:30
             2026-10-02T16:00:00Z  2026-10-03T02:30:00+10:30
             2026-10-02T16:15:00Z  2026-10-03T02:45:00+10:30
             2026-10-03T15:30:00Z  2026-10-04T02:30:00+11:00
             2026-10-03T15:45:00Z  2026-10-04T02:45:00+11:00
             2026-10-04T15:00:00Z  2026-10-05T02:00:00+11:00
             2026-10-04T15:15:00Z  2026-10-05T02:15:00+11:00
             2026-10-04T15:30:00Z  2026-10-05T02:30:00+11:00
             2026-10-04T15:45:00Z  2026-10-05T02:45:00+11:00",
        );
        // 02:50 moves to 03:50, after the wall time 03:10: still in order.
        expect(
            "2026-03-29T00:00",
            BERLIN,
            "cron: 10,50 2,3 29 3 *",
            "2026-03-29T01:10:00Z  2026-03-29T03:10:00+02:00
             2026-03-29T01:50:00Z  2026-03-29T03:50:00+02:00",
        );
        expect(
            "2025-01-01T00:00",
            KOLKATA,
            "cron: 0 12 29 FEB *",
            "2028-02-29T06:30:00Z  2028-02-29T12:00:00+05:30
             2032-02-29T06:30:00Z  2032-02-29T12:00:00+05:30",
        );
        // Chile springs forward at midnight: 00:00 becomes 01:00 (a duplicate).
        expect(
            "2026-09-04T00:00",
            Tz::America__Santiago,
            "cron: 0 0,1 * * *",
            "2026-09-04T04:00:00Z  2026-09-04T00:00:00-04:00
             2026-09-04T05:00:00Z  2026-09-04T01:00:00-04:00
             2026-09-05T04:00:00Z  2026-09-05T00:00:00-04:00
             2026-09-05T05:00:00Z  2026-09-05T01:00:00-04:00
             2026-09-06T04:00:00Z  2026-09-06T01:00:00-03:00
             2026-09-07T03:00:00Z  2026-09-07T00:00:00-03:00
             2026-09-07T04:00:00Z  2026-09-07T01:00:00-03:00",
        );
    }

    #[test]
    fn cron_across_a_skipped_day() {
        // Samoa skipped 30 December 2011: its wall times land on the 31st's.
        expect(
            "2011-12-28T00:00",
            Tz::Pacific__Apia,
            "cron: 0 8,9,22 * * *",
            "2011-12-28T18:00:00Z  2011-12-28T08:00:00-10:00
             2011-12-28T19:00:00Z  2011-12-28T09:00:00-10:00
             2011-12-29T08:00:00Z  2011-12-28T22:00:00-10:00
             2011-12-29T18:00:00Z  2011-12-29T08:00:00-10:00
             2011-12-29T19:00:00Z  2011-12-29T09:00:00-10:00
             2011-12-30T08:00:00Z  2011-12-29T22:00:00-10:00
             2011-12-30T18:00:00Z  2011-12-31T08:00:00+14:00
             2011-12-30T19:00:00Z  2011-12-31T09:00:00+14:00
             2011-12-31T08:00:00Z  2011-12-31T22:00:00+14:00
             2011-12-31T18:00:00Z  2012-01-01T08:00:00+14:00
             2011-12-31T19:00:00Z  2012-01-01T09:00:00+14:00
             2012-01-01T08:00:00Z  2012-01-01T22:00:00+14:00",
        );
    }

    #[test]
    fn gap_across_midnight_in_nuuk() {
        // Nuuk springs forward from 23:00 Saturday to 00:00 Sunday: 23:30
        // Saturday lands on Sunday 00:30 (and so on Sunday's date).
        expect(
            "2026-03-28T22:00",
            Tz::America__Nuuk,
            "cron: 10,30 23,0 * * *",
            "2026-03-29T01:10:00Z  2026-03-29T00:10:00-01:00
             2026-03-29T01:30:00Z  2026-03-29T00:30:00-01:00
             2026-03-30T00:10:00Z  2026-03-29T23:10:00-01:00
             2026-03-30T00:30:00Z  2026-03-29T23:30:00-01:00
             2026-03-30T01:10:00Z  2026-03-30T00:10:00-01:00
             2026-03-30T01:30:00Z  2026-03-30T00:30:00-01:00",
        );
        expect(
            "2026-03-21T23:30",
            Tz::America__Nuuk,
            "weekly",
            "2026-03-22T01:30:00Z  2026-03-21T23:30:00-02:00
             2026-03-29T01:30:00Z  2026-03-29T00:30:00-01:00
             2026-04-05T00:30:00Z  2026-04-04T23:30:00-01:00",
        );
        // `until` is about the occurrence's own local date.
        let f = Frequency::weekly();
        let until = Some(date("2026-03-28"));
        assert_eq!(
            occurrences(dt("2026-03-21T23:30"), Tz::America__Nuuk, &f, until).count(),
            1
        );
    }

    #[test]
    fn cron_steps_ranges_names() {
        let f = parse_frequency("cron: 0/20 9-17/4 * jan,jul mon-wed").unwrap();
        let got: Vec<_> = occurrences(dt("2026-06-30T00:00"), TOKYO, &f, None)
            .take(10)
            .map(|o| o.local.format("%a %Y-%m-%d %H:%M").to_string())
            .collect();
        assert_eq!(
            got,
            vec![
                // 30 June 2026 is a Tuesday but June is not in the month field.
                "Wed 2026-07-01 09:00",
                "Wed 2026-07-01 09:20",
                "Wed 2026-07-01 09:40",
                "Wed 2026-07-01 13:00",
                "Wed 2026-07-01 13:20",
                "Wed 2026-07-01 13:40",
                "Wed 2026-07-01 17:00",
                "Wed 2026-07-01 17:20",
                "Wed 2026-07-01 17:40",
                "Mon 2026-07-06 09:00",
            ]
        );
    }

    #[test]
    fn start_seconds_and_first_at_or_after_start() {
        let f = parse_frequency("cron: 30 9 * * *").unwrap();
        let start = NaiveDateTime::parse_from_str("2026-05-05T09:30:01", "%Y-%m-%dT%H:%M:%S").unwrap();
        let first = occurrences(start, TOKYO, &f, None).next().unwrap();
        assert_eq!(first.local.naive_local(), dt("2026-05-06T09:30"));
        let f = Frequency::weekly();
        let first = occurrences(start, TOKYO, &f, None).next().unwrap();
        assert_eq!(first.local.naive_local(), start);
        // Monthly on a day already past this month: next month.
        let f = Frequency::MonthlyOnDay(4);
        let first = occurrences(start, TOKYO, &f, None).next().unwrap();
        assert_eq!(first.local.naive_local().date(), date("2026-06-04"));
    }

    #[test]
    fn until_is_inclusive_in_the_local_zone() {
        let f = Frequency::weekly();
        // 2026-03-09T23:30 in Tokyo is 14:30Z: the local date is what counts.
        let got: Vec<_> = occurrences(dt("2026-03-02T23:30"), TOKYO, &f, Some(date("2026-03-16")))
            .map(|o| o.local.date_naive())
            .collect();
        assert_eq!(got, vec![date("2026-03-02"), date("2026-03-09"), date("2026-03-16")]);
        let f = parse_frequency("cron: 0 * * * *").unwrap();
        let got: Vec<_> = occurrences(dt("2026-03-02T20:00"), TOKYO, &f, Some(date("2026-03-02"))).collect();
        assert_eq!(got.len(), 4);
        // Monthly on day 5 with an end before the 5th: nothing.
        let f = Frequency::MonthlyOnDay(5);
        assert_eq!(
            occurrences(dt("2026-03-10T10:00"), TOKYO, &f, Some(date("2026-04-04"))).count(),
            0
        );
    }

    #[test]
    fn ends_at_year_9999() {
        let f = parse_frequency("every 12 weeks").unwrap();
        let all: Vec<_> = occurrences(dt("9999-01-01T00:00"), TOKYO, &f, None).collect();
        assert_eq!(all.len(), 5);
        let f = parse_frequency("cron: 0 0 1 1 *").unwrap();
        assert_eq!(occurrences(dt("9998-01-01T00:00"), Tz::UTC, &f, None).count(), 2);
        // The UTC side stays within 9999 too (New York is behind UTC).
        let f = parse_frequency("cron: 0 23 * * *").unwrap();
        let last = occurrences(dt("9999-12-29T00:00"), NEW_YORK, &f, None).last().unwrap();
        assert_eq!(line(&last), "9999-12-31T04:00:00Z  9999-12-30T23:00:00-05:00");
    }

    #[test]
    fn next_after_far_in_the_future_is_quick_and_right() {
        let start = dt("2026-03-02T18:30");
        let after = date("2126-03-03").and_hms_opt(0, 0, 0).unwrap().and_utc();
        for freq in [
            "weekly",
            "every 5 weeks",
            "monthly",
            "monthly on day 31",
            "cron: * * * * *",
            "cron: 0 9 29 2 mon",
        ] {
            let f = parse_frequency(freq).unwrap();
            let got = next_after(start, BERLIN, &f, after, None).unwrap();
            assert!(got.utc > after, "{freq}");
            // The one before is not after `after`.
            let earlier = after - Duration::days(62);
            let mut it = occurrences(start, BERLIN, &f, None);
            if let Inner::Cron(c) = &mut it.inner {
                c.skip_to(earlier);
            } else if let Inner::Rule(r) = &mut it.inner {
                r.skip_to(earlier);
            }
            let reference = it.find(|o| o.utc > after).unwrap();
            assert_eq!(got, reference, "{freq}");
        }
        let f = parse_frequency("cron: * * * * *").unwrap();
        let got = next_after(start, BERLIN, &f, after, None).unwrap();
        assert_eq!(got.utc, after + Duration::minutes(1));
        assert_eq!(next_after(start, BERLIN, &f, after, Some(date("2126-03-02"))), None);
    }

    // ---------------------------------------------------------------------
    // Properties

    const ZONES: [Tz; 10] = [
        BERLIN,
        NEW_YORK,
        LORD_HOWE,
        KOLKATA,
        TOKYO,
        Tz::Etc__UTC,
        Tz::America__Santiago,
        Tz::Europe__Dublin,
        Tz::Pacific__Apia,
        Tz::America__Nuuk,
    ];

    /// A reference for the instant of a wall time, written differently from
    /// `resolve_local`: a gap time is read with the offset of the last
    /// existing minute before it (found by walking back minute by minute).
    fn reference_instant(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
        match tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
            LocalResult::None => {
                let mut t = wall;
                for _ in 0..(2 * 24 * 60) {
                    t -= Duration::minutes(1);
                    if let Some(x) = tz.from_local_datetime(&t).latest() {
                        let off = x.offset().fix().local_minus_utc();
                        return (wall - Duration::seconds(i64::from(off))).and_utc();
                    }
                }
                panic!("no existing time before {wall} in {tz}");
            }
        }
    }

    /// Days in 1995..=2035 on which the zone's offset changes, as local dates.
    fn transition_days(tz: Tz, year: i32) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        let off = |d: NaiveDate| {
            tz.offset_from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
                .fix()
                .local_minus_utc()
        };
        while d.year() == year {
            let n = d.succ_opt().unwrap();
            if off(d) != off(n) {
                out.push(d);
                out.push(n);
            }
            d = n;
        }
        out
    }

    /// The wall times of a weekly or monthly rule, by brute force over calendar days.
    fn reference_walls(start: NaiveDateTime, freq: &Frequency, n: usize) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        let t = start.time();
        match *freq {
            Frequency::Weekly { every_weeks } => {
                let mut d = start.date();
                while out.len() < n {
                    out.push(d.and_time(t));
                    d = d + Days::new(7 * u64::from(every_weeks));
                }
            }
            _ => {
                let mut first = start.date().with_day(1).unwrap();
                let ordinal = start.day().div_ceil(7);
                while out.len() < n {
                    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| d.month() == first.month()).collect();
                    let d = match *freq {
                        Frequency::MonthlyOnDay(day) => days[(day as usize).min(days.len()) - 1],
                        _ => {
                            let same: Vec<_> = days.iter().filter(|d| d.weekday() == start.weekday()).collect();
                            if ordinal >= 5 {
                                *same[same.len() - 1]
                            } else {
                                *same[ordinal as usize - 1]
                            }
                        }
                    };
                    if d.and_time(t) >= start {
                        out.push(d.and_time(t));
                    }
                    first = first.checked_add_months(chrono::Months::new(1)).unwrap();
                }
            }
        }
        out
    }

    fn rule_freq() -> impl Strategy<Value = Frequency> {
        prop_oneof![
            (1u32..=12).prop_map(|n| Frequency::Weekly { every_weeks: n }),
            Just(Frequency::MonthlyOrdinalWeekday),
            (1u32..=31).prop_map(Frequency::MonthlyOnDay),
        ]
    }

    fn cron_freq() -> impl Strategy<Value = Frequency> {
        let minute = prop::sample::select(vec!["*/15", "0", "30", "0,30", "*/7", "59", "5-10", "*/20", "45"]);
        let hour = prop::sample::select(vec!["*", "1-3", "2", "0-4/2", "23", "0", "*/5", "1,2,3"]);
        let dom = prop::sample::select(vec!["*", "1-15", "*/2", "5", "13,28", "29-31"]);
        let month = prop::sample::select(vec!["*", "*", "*/2", "jan-jun", "mar,apr,sep,oct,nov"]);
        let dow = prop::sample::select(vec!["*", "0", "7", "sun", "mon-fri", "6,7", "*/3", "1-5", "sat"]);
        (minute, hour, dom, month, dow)
            .prop_map(|(a, b, c, d, e)| parse_frequency(&format!("cron: {a} {b} {c} {d} {e}")).unwrap())
    }

    /// A start near a transition of the zone (or anywhere, one time in four).
    fn start_near_transition() -> impl Strategy<Value = (Tz, NaiveDateTime)> {
        (
            prop::sample::select(ZONES.to_vec()),
            1995i32..=2035,
            any::<prop::sample::Index>(),
            -3i64..=1,
            0u32..24,
            prop::sample::select(vec![0u32, 0, 15, 30, 45, 59, 7]),
            0u32..4,
            1u32..=366,
        )
            .prop_map(|(tz, year, idx, shift, h, m, anywhere, doy)| {
                let days = transition_days(tz, year);
                let day = if days.is_empty() || anywhere == 0 {
                    NaiveDate::from_yo_opt(year, doy.min(365)).unwrap()
                } else {
                    *idx.get(&days) + Duration::days(shift)
                };
                (tz, day.and_hms_opt(h, m, 0).unwrap())
            })
    }

    fn check_common(
        tz: Tz,
        start: NaiveDateTime,
        until: Option<NaiveDate>,
        got: &[Occurrence],
    ) -> Result<(), TestCaseError> {
        let start_utc = reference_instant(tz, start);
        for (i, o) in got.iter().enumerate() {
            prop_assert_eq!(o.local.with_timezone(&Utc), o.utc);
            prop_assert!(o.utc >= start_utc, "{} before the start", line(o));
            prop_assert!(o.local.naive_local() >= start, "{} before the start", line(o));
            if let Some(u) = until {
                prop_assert!(o.local.date_naive() <= u, "{} after {}", line(o), u);
            }
            if i > 0 {
                prop_assert!(
                    got[i - 1].utc < o.utc,
                    "not increasing: {} then {}",
                    line(&got[i - 1]),
                    line(o)
                );
            }
        }
        Ok(())
    }

    proptest! {
        // No regression files: they would be written outside this folder.
        #![proptest_config(ProptestConfig {
            cases: 400,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn rules_follow_their_wall_times(
            (tz, start) in start_near_transition(),
            freq in rule_freq(),
            until_days in prop::option::of(0u64..900),
        ) {
            let until = until_days.map(|d| start.date() + Days::new(d));
            let got: Vec<_> = occurrences(start, tz, &freq, until).take(40).collect();
            check_common(tz, start, until, &got)?;
            // Each occurrence is the rule's next wall time, at that wall time,
            // or moved forward by a gap; and the list stops only at `until`.
            let walls = reference_walls(start, &freq, 40);
            let expected: Vec<DateTime<Utc>> = walls
                .iter()
                .map(|w| reference_instant(tz, *w))
                .take_while(|u| until.is_none_or(|until| u.with_timezone(&tz).date_naive() <= until))
                .collect();
            prop_assert_eq!(got.len(), expected.len());
            for ((o, wall), want) in got.iter().zip(&walls).zip(&expected) {
                prop_assert_eq!(o.utc, *want, "{} for wall time {}", line(o), wall);
                if tz.from_local_datetime(wall).earliest().is_some() {
                    prop_assert_eq!(o.local.naive_local(), *wall);
                } else {
                    prop_assert!(o.local.naive_local() > *wall);
                }
            }
        }

        #[test]
        fn cron_matches_a_minute_by_minute_reference(
            (tz, start) in start_near_transition(),
            freq in cron_freq(),
            until_days in prop::option::of(0u64..4),
        ) {
            let Frequency::Cron(spec) = &freq else { unreachable!() };
            let until = until_days.map(|d| start.date() + Days::new(d));
            let days = 4;
            let end_wall = (start.date() + Days::new(days)).and_time(NaiveTime::MIN);
            // Instants from wall times on or after `end_wall` are after this.
            let horizon = (end_wall - Duration::days(1)).and_utc();
            let start_utc = reference_instant(tz, start);
            let mut want = BTreeSet::new();
            let mut wall = start.date().and_time(NaiveTime::MIN);
            while wall < end_wall {
                if wall >= start && spec.matches(wall.date(), wall.hour(), wall.minute()) {
                    let u = reference_instant(tz, wall);
                    if u >= start_utc
                        && u < horizon
                        && until.is_none_or(|until| u.with_timezone(&tz).date_naive() <= until)
                    {
                        want.insert(u);
                    }
                }
                wall += Duration::minutes(1);
            }
            let got: Vec<_> = occurrences(start, tz, &freq, until)
                .take_while(|o| o.utc < horizon)
                .collect();
            check_common(tz, start, until, &got)?;
            let got_utc: Vec<_> = got.iter().map(|o| o.utc).collect();
            let want: Vec<_> = want.into_iter().collect();
            prop_assert_eq!(got_utc, want);
        }

        #[test]
        fn next_after_agrees_with_filtering(
            (tz, start) in start_near_transition(),
            freq in prop_oneof![3 => rule_freq(), 1 => cron_freq()],
            after_minutes in -3000i64..(60 * 24 * 500),
            until_days in prop::option::of(0u64..600),
        ) {
            let after_minutes = if matches!(freq, Frequency::Cron(_)) { after_minutes / 20 } else { after_minutes };
            let until = until_days.map(|d| start.date() + Days::new(d));
            let after = reference_instant(tz, start) + Duration::minutes(after_minutes);
            let want = occurrences(start, tz, &freq, until).find(|o| o.utc > after);
            prop_assert_eq!(next_after(start, tz, &freq, after, until), want);
        }

        #[test]
        fn cron_next_after_agrees_with_filtering(
            (tz, start) in start_near_transition(),
            freq in cron_freq(),
            after_minutes in -3000i64..(60 * 24 * 20),
        ) {
            let after = reference_instant(tz, start) + Duration::minutes(after_minutes);
            let want = occurrences(start, tz, &freq, None).find(|o| o.utc > after);
            prop_assert_eq!(next_after(start, tz, &freq, after, None), want);
        }
    }
}
