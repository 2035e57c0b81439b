//! A person's notification preferences (issue 16, item 13): kinds of message they muted, and
//! their own reminder lead times before a check-in instead of the program's.
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, UserId};
use super::program::parse_lead_times;
use super::validate::{Valid, ValidationError};

/// The kinds of message a person may mute: none of them is needed to keep a mentorship's
/// record right (the "did you meet?" question and invitations are not among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Muted {
    /// The reminders before a check-in.
    Reminders,
    /// The gentle nudge when nobody answered "did you meet?".
    Nudges,
    /// The halfway review prompt.
    Midpoint,
    /// The tips and program resources a phase's first message carries (the message still comes).
    Tips,
    /// Being asked to celebrate a finished mentorship in the program channel, and so its post
    /// (it goes out only when every member agreed).
    Celebrations,
    /// The reminder to write a retrospective that is still open.
    RetroReminders,
}

impl Muted {
    pub const ALL: [Muted; 6] = [
        Muted::Reminders,
        Muted::Nudges,
        Muted::Midpoint,
        Muted::Tips,
        Muted::Celebrations,
        Muted::RetroReminders,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Muted::Reminders => "reminders",
            Muted::Nudges => "nudges",
            Muted::Midpoint => "midpoint",
            Muted::Tips => "tips",
            Muted::Celebrations => "celebrations",
            Muted::RetroReminders => "retro_reminders",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPrefs {
    pub guild: GuildId,
    pub user: UserId,
    pub muted: Vec<Muted>,
    /// Minutes before a check-in; `None`: the program's lead times.
    pub reminder_leads: Option<Vec<u32>>,
}

/// What `/mentor notifications` was given: each kind on or off, and lead times (`default`
/// returns to the program's).
#[derive(Debug, Clone, Default)]
pub struct PrefsChange {
    pub switches: Vec<(Muted, bool)>,
    pub lead_times: Option<String>,
}

/// Every lead time the members of a mentorship are reminded at, given their preferences in
/// the order of its joined members: each one's own, else the program's (the program's when
/// nobody has joined).
pub fn all_leads(prefs: &[NotificationPrefs], program: &[u32]) -> Vec<u32> {
    if prefs.is_empty() {
        return program.to_vec();
    }
    let mut leads = Vec::new();
    for p in prefs {
        for &l in p.leads(program) {
            if !leads.contains(&l) {
                leads.push(l);
            }
        }
    }
    leads
}

impl NotificationPrefs {
    pub fn default_for(guild: GuildId, user: UserId) -> Self {
        Self {
            guild,
            user,
            muted: Vec::new(),
            reminder_leads: None,
        }
    }

    pub fn wants(&self, kind: Muted) -> bool {
        !self.muted.contains(&kind)
    }

    /// The lead times this person is reminded at.
    pub fn leads<'a>(&'a self, program: &'a [u32]) -> &'a [u32] {
        self.reminder_leads.as_deref().unwrap_or(program)
    }

    /// Applies a change; nothing changes when any part is invalid.
    pub fn apply(&self, change: &PrefsChange) -> Valid<NotificationPrefs> {
        let mut next = self.clone();
        for &(kind, on) in &change.switches {
            next.muted.retain(|k| *k != kind);
            if !on {
                next.muted.push(kind);
            }
        }
        next.muted.sort_by_key(|k| k.as_str());
        if let Some(text) = &change.lead_times {
            next.reminder_leads = if text.trim().eq_ignore_ascii_case("default") {
                None
            } else {
                let leads = parse_lead_times(text)?;
                if leads.is_empty() {
                    return Err(ValidationError::new(
                        "reminder lead times",
                        "give at least one, e.g. 24h, 1h (or default for the program's)",
                    ));
                }
                Some(leads)
            };
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_and_lead_times() {
        let p = NotificationPrefs::default_for(GuildId(1), UserId(2));
        assert!(p.wants(Muted::Reminders));
        let change = PrefsChange {
            switches: vec![(Muted::Nudges, false), (Muted::Reminders, true)],
            lead_times: Some("3h, 15m".into()),
        };
        let q = p.apply(&change).unwrap();
        assert!(!q.wants(Muted::Nudges) && q.wants(Muted::Reminders));
        assert_eq!(q.leads(&[1440]), &[180, 15]);
        let back = q
            .apply(&PrefsChange {
                switches: vec![(Muted::Nudges, true)],
                lead_times: Some("default".into()),
            })
            .unwrap();
        assert_eq!(back, p);
        let bad = PrefsChange {
            switches: vec![(Muted::Midpoint, false)],
            lead_times: Some("soon".into()),
        };
        assert!(p.apply(&bad).is_err());
        assert!(p
            .apply(&PrefsChange {
                switches: vec![],
                lead_times: Some(" ".into())
            })
            .is_err());
    }
}
