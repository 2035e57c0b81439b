//! `/mentor notifications`: mute a kind of message, choose your own reminder lead times
//! (issue 16, item 13).
use super::{caller, guild, say};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::preferences::{Muted, NotificationPrefs, PrefsChange};

fn minutes(m: u32) -> String {
    match m {
        m if m % 1440 == 0 => format!("{}d", m / 1440),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

pub fn prefs_text(p: &NotificationPrefs, program: &[u32]) -> String {
    let kinds: Vec<String> = Muted::ALL
        .iter()
        .map(|k| format!("{} {}", k.as_str(), if p.wants(*k) { "on" } else { "off" }))
        .collect();
    let leads: Vec<String> = p.leads(program).iter().map(|m| minutes(*m)).collect();
    let whose = if p.reminder_leads.is_some() {
        "your own"
    } else {
        "the program's"
    };
    format!(
        "**Your notifications:** {}.\n**Reminders before a check-in:** {} ({whose}; check-ins already planned \
         move to them too).\nChange them with /mentor notifications, e.g. `reminders:False` or \
         `lead_times:3h, 15m` (`default` for the program's). Invitations, the agreement and \"did you meet?\" \
         always come; \
         celebrations off means you are not asked, and nothing is posted about your mentorships.",
        kinds.join(", "),
        leads.join(", ")
    )
}

/// Mute a kind of message, or choose your own reminder lead times (no options: show them).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn notifications(
    ctx: Ctx<'_>,
    #[description = "Reminders before each check-in"] reminders: Option<bool>,
    #[description = "Nudges when nobody said whether you met"] nudges: Option<bool>,
    #[description = "The halfway review prompt"] midpoint: Option<bool>,
    #[description = "Tips and the program's resources at each phase"] tips: Option<bool>,
    #[description = "Being asked to celebrate a finished mentorship in public"] celebrations: Option<bool>,
    #[description = "The reminder to write your retrospective"] retro_reminders: Option<bool>,
    #[description = "Your reminder lead times, e.g. 24h, 1h (default: the program's)"] lead_times: Option<String>,
) -> Result<(), BotError> {
    let (g, me) = (guild(ctx)?, caller(ctx));
    let engine = &ctx.data().engine;
    let change = PrefsChange {
        switches: [
            (Muted::Reminders, reminders),
            (Muted::Nudges, nudges),
            (Muted::Midpoint, midpoint),
            (Muted::Tips, tips),
            (Muted::Celebrations, celebrations),
            (Muted::RetroReminders, retro_reminders),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.map(|on| (k, on)))
        .collect(),
        lead_times,
    };
    let program = engine.program_settings(g).await?.reminder_leads;
    let prefs = if change.switches.is_empty() && change.lead_times.is_none() {
        engine.notification_prefs(g, me).await?
    } else {
        engine.set_notification_prefs(g, me, &change).await?
    };
    say(ctx, prefs_text(&prefs, &program)).await
}
