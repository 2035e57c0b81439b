//! A server's program settings, set by its admins or coordinators.
use serde::{Deserialize, Serialize};

use super::ids::GuildId;
use super::validate::{Valid, ValidationError};

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
}

impl ProgramSettings {
    pub fn defaults(guild: GuildId, proposal_expiry_days: u32) -> Self {
        Self {
            guild,
            channel: None,
            coordinator_role: None,
            reminder_leads: vec![1440, 60],
            proposal_expiry_days,
        }
    }
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
}
