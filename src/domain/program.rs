//! A server's program settings, set by its admins or coordinators.
use serde::{Deserialize, Serialize};

use chrono_tz::Tz;

use super::ids::GuildId;
use super::validate::{Valid, ValidationError};
use crate::schedule::{CronSpec, Frequency};

pub const MAX_LEAD_MINUTES: u32 = 14 * 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramSettings {
    pub guild: GuildId,
    /// The channel under which each relationship gets a private thread (a Discord channel id).
    pub channel: Option<u64>,
    /// Members with this role may run the program commands besides server admins.
    pub coordinator_role: Option<u64>,
    /// Minutes before a check-in at which reminders go out, largest first.
    pub reminder_leads: Vec<u32>,
    pub proposal_expiry_days: u32,
    /// When the coordinator's digest goes out: five cron fields on the server's local time,
    /// [`DIGEST_OFF`], or `None` for [`DEFAULT_DIGEST`].
    #[serde(default)]
    pub digest_cron: Option<String>,
    /// The server's time zone, for the digest; `None` is UTC.
    #[serde(default)]
    pub timezone: Option<Tz>,
    /// A channel only organisers read: the digest and alerts go there (else by DM to the
    /// coordinators, or the owner). Never the program channel, which every participant sees.
    #[serde(default)]
    pub coordinator_channel: Option<u64>,
    /// Limits on what members send each other; `None` is the default.
    #[serde(default)]
    pub limits: Limits,
}

/// A server's limits on invitations and agreement versions (`None`: the default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Invitations a member may have waiting for an answer at once (a peer group counts once).
    pub open_invitations: Option<u32>,
    /// Days after a decline before the same member may invite that person again.
    pub decline_cooldown_days: Option<u32>,
    /// New versions of one mentorship's agreement in 24 hours.
    pub agreement_versions_per_day: Option<u32>,
}

pub const DEFAULT_OPEN_INVITATIONS: u32 = 5;
pub const DEFAULT_DECLINE_COOLDOWN_DAYS: u32 = 30;
pub const DEFAULT_AGREEMENT_VERSIONS_PER_DAY: u32 = 5;

impl Limits {
    pub fn open_invitations(&self) -> u32 {
        self.open_invitations.unwrap_or(DEFAULT_OPEN_INVITATIONS)
    }

    pub fn decline_cooldown_days(&self) -> u32 {
        self.decline_cooldown_days.unwrap_or(DEFAULT_DECLINE_COOLDOWN_DAYS)
    }

    pub fn agreement_versions_per_day(&self) -> u32 {
        self.agreement_versions_per_day
            .unwrap_or(DEFAULT_AGREEMENT_VERSIONS_PER_DAY)
    }
}

/// Monday 09:00.
pub const DEFAULT_DIGEST: &str = "0 9 * * 1";
/// The digest setting that turns the digest off.
pub const DIGEST_OFF: &str = "off";

impl ProgramSettings {
    pub fn defaults(guild: GuildId, proposal_expiry_days: u32) -> Self {
        Self {
            guild,
            channel: None,
            coordinator_role: None,
            reminder_leads: vec![1440, 60],
            proposal_expiry_days,
            digest_cron: None,
            timezone: None,
            coordinator_channel: None,
            limits: Limits::default(),
        }
    }

    /// The digest's schedule, or `None` when it is off.
    pub fn digest_schedule(&self) -> Option<(Frequency, Tz)> {
        let text = self.digest_cron.as_deref().unwrap_or(DEFAULT_DIGEST);
        let spec = CronSpec::parse(text).ok()?;
        Some((Frequency::Cron(spec), self.timezone.unwrap_or(Tz::UTC)))
    }
}

/// Checks a digest setting: five cron fields (e.g. `0 9 * * 1`), or `off`. Returns the text to keep.
pub fn parse_digest(text: &str) -> Valid<String> {
    let t = text.trim().trim_start_matches("cron:").trim();
    if t.eq_ignore_ascii_case(DIGEST_OFF) {
        return Ok(DIGEST_OFF.into());
    }
    CronSpec::parse(t)
        .map_err(|e| ValidationError::new("digest", format!("{e} For Monday 09:00 write 0 9 * * 1, or off")))?;
    Ok(t.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Parses lead times such as "24h, 1h" or "2d 30m" into minutes, largest first.
pub fn parse_lead_times(text: &str) -> Valid<Vec<u32>> {
    let field = "reminder lead times";
    let mut out = Vec::new();
    for part in text.split([',', ' ', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (number, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len()));
        let n: u32 = number.parse().map_err(|_| {
            ValidationError::new(
                field,
                format!("\"{part}\" is not a lead time; write e.g. 24h, 1h or 30m"),
            )
        })?;
        let minutes = match unit.to_ascii_lowercase().as_str() {
            "m" | "min" => n,
            "h" => n.saturating_mul(60),
            "d" => n.saturating_mul(1440),
            _ => {
                return Err(ValidationError::new(
                    field,
                    format!("\"{part}\" needs a unit: m, h or d"),
                ))
            }
        };
        if minutes == 0 || minutes > MAX_LEAD_MINUTES {
            return Err(ValidationError::new(
                field,
                format!("\"{part}\" must be between 1 minute and 14 days"),
            ));
        }
        if !out.contains(&minutes) {
            out.push(minutes);
        }
    }
    if out.is_empty() || out.len() > 5 {
        return Err(ValidationError::new(field, "give one to five lead times, e.g. 24h, 1h"));
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_times() {
        assert_eq!(parse_lead_times("1h, 24h").unwrap(), vec![1440, 60]);
        assert_eq!(parse_lead_times("2d 30m").unwrap(), vec![2880, 30]);
        for bad in ["", "soon", "0h", "15d", "5", "1h,2h,3h,4h,5h,6h"] {
            assert!(parse_lead_times(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digest_settings() {
        assert_eq!(parse_digest(" 0  9 * * 1 ").unwrap(), "0 9 * * 1");
        assert_eq!(parse_digest("cron: 30 8 * * mon").unwrap(), "30 8 * * mon");
        assert_eq!(parse_digest("OFF").unwrap(), "off");
        for bad in ["", "weekly", "0 9 * *", "61 9 * * 1", "0 25 * * 1"] {
            assert!(parse_digest(bad).is_err(), "{bad}");
        }
        let mut s = ProgramSettings::defaults(GuildId(1), 7);
        assert!(s.digest_schedule().is_some(), "on by default");
        s.digest_cron = Some("off".into());
        assert!(s.digest_schedule().is_none());
    }
}
