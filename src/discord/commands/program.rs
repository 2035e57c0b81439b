//! `/program`: the organisers' commands.
use serenity::all::{GuildChannel, Role};

use super::{caller_rights, guild, say};
use crate::discord::reply::{BotError, Ctx};
use crate::engine::matching::{check_unplaced_bonus, parse_weights};
use crate::engine::ProgramSetup;

/// The mentorship program (organisers).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "setup",
        "super::matching::match_",
        "super::matching::export",
        "super::organisers::stats",
        "super::hands::mentorship_",
        "super::hands::pair",
        "super::hands::unplace",
        "super::invitations::invitations",
        "super::import::import",
        "super::questions::question",
        "super::questions::levels",
        "super::guide::resources"
    )
)]
pub async fn program(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Set up the program: the channel for private threads, the coordinators, reminders, limits.
// One option per setting is how Discord shows them; the arguments are the options.
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn setup(
    ctx: Ctx<'_>,
    #[description = "Each mentorship gets a private thread under this channel"] channel: Option<GuildChannel>,
    #[description = "Members with this role may run the program"] coordinator_role: Option<Role>,
    #[description = "When reminders go out before a check-in, e.g. 24h, 1h"] reminder_lead_times: Option<String>,
    #[description = "Days an invitation waits for an answer (1 to 60)"] proposal_expiry_days: Option<i64>,
    #[description = "Matching: score bonus for people left unplaced last time (0 to 1, default 0.1)"]
    unplaced_bonus: Option<f64>,
    #[description = "Matching weights, e.g. topic=0.4, availability=0.3 (others keep the default), or default"]
    weights: Option<String>,
    #[description = "Weekly digest to the coordinator: cron on the server's time (default 0 9 * * 1), or off"]
    digest: Option<String>,
    #[description = "The server's time zone for the digest, e.g. Europe/Berlin (default UTC)"] timezone: Option<String>,
    #[description = "A channel only organisers read: the digest and alerts go there (else DMs to coordinators)"]
    coordinator_channel: Option<GuildChannel>,
    #[description = "Invitations a member may have waiting for an answer at once (1 to 50, default 5)"]
    invitation_limit: Option<i64>,
    #[description = "Days before a member may invite someone again who declined them (0 to 365, default 30)"]
    decline_cooldown_days: Option<i64>,
    #[description = "Agreement versions a mentorship may get in 24 hours (1 to 50, default 5)"]
    agreement_versions_per_day: Option<i64>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    // Discord hides the command from others, but that is advice to clients: check again here.
    let (is_admin, roles) = caller_rights(ctx);
    // Several changes and reads: more than one database round trip before the answer.
    ctx.defer_ephemeral().await?;
    let engine = &ctx.data().engine;
    // Checked before anything is saved, so one bad value leaves every setting as it was.
    if let Some(bonus) = unplaced_bonus {
        check_unplaced_bonus(bonus).map_err(crate::engine::Error::from)?;
    }
    if let Some(w) = &weights {
        parse_weights(w).map_err(crate::engine::Error::from)?;
    }
    let setup = ProgramSetup {
        channel: channel.map(|c| c.id.get()),
        coordinator_role: coordinator_role.map(|r| r.id.get()),
        reminder_leads: reminder_lead_times,
        proposal_expiry_days,
        digest,
        timezone,
        coordinator_channel: coordinator_channel.map(|c| c.id.get()),
        invitation_limit,
        decline_cooldown_days,
        agreement_versions_per_day,
    };
    let s = engine.setup_program(g, is_admin, &roles, &setup).await?;
    if let Some(bonus) = unplaced_bonus {
        engine.set_unplaced_bonus(g, is_admin, &roles, bonus).await?;
    }
    if let Some(w) = &weights {
        engine.set_matching_weights(g, is_admin, &roles, w).await?;
    }
    let bonus = engine.unplaced_bonus(g).await?;
    let weights: Vec<String> = crate::matching::CRITERIA
        .iter()
        .zip(engine.matching_weights(g).await?)
        .chain(
            crate::matching::EXTRA_CRITERIA
                .iter()
                .zip(engine.matching_extra_weights(g).await?),
        )
        .map(|(c, w)| format!("{c} {w}"))
        .collect();
    let leads: Vec<String> = s
        .reminder_leads
        .iter()
        .map(|m| {
            if m % 60 == 0 {
                format!("{}h", m / 60)
            } else {
                format!("{m}m")
            }
        })
        .collect();
    say(
        ctx,
        format!(
            "Program settings saved.\nThreads under: {}\nCoordinator role: {}\nOrganisers' channel (digest, alerts): {}\nReminders: {} before each check-in\nInvitations expire after {} days\nLimits: {} invitations waiting per member, {} days before inviting again someone who declined, {} agreement versions a day\nPriority bonus for people left unplaced: {bonus}\nMatching weights: {}\nDigest to the coordinator: {}",
            s.channel.map(|c| format!("<#{c}>")).unwrap_or_else(|| "not set".into()),
            s.coordinator_role.map(|r| format!("<@&{r}>")).unwrap_or_else(|| "not set".into()),
            s.coordinator_channel
                .map(|c| format!("<#{c}>"))
                .unwrap_or_else(|| "not set (DMs to the coordinators, or the owner)".into()),
            leads.join(", "),
            s.proposal_expiry_days,
            s.limits.open_invitations(),
            s.limits.decline_cooldown_days(),
            s.limits.agreement_versions_per_day(),
            weights.join(", "),
            digest_text(&s, engine.now())
        ) + &coordinator_hint(&s),
    )
    .await
}

/// Discord shows `/program` only to people with Manage Server until an admin allows the role.
fn coordinator_hint(s: &crate::domain::program::ProgramSettings) -> String {
    match s.coordinator_role {
        Some(role) => format!(
            "\nFor <@&{role}> to see and use /program, allow it in Discord: Server Settings > Integrations > this bot \
             > Manage > Add Roles or Members > the role > Save Changes (the README has every step)."
        ),
        None => String::new(),
    }
}

/// The digest's rule in the program's zone, and its next one as a Discord timestamp, which
/// each organiser reads in their own zone (issue 16, item 10).
fn digest_text(s: &crate::domain::program::ProgramSettings, now: chrono::DateTime<chrono::Utc>) -> String {
    let tz = s.timezone.map(|t| t.name()).unwrap_or("UTC");
    let next = s
        .digest_schedule()
        .and_then(|(freq, zone)| {
            let start = now.with_timezone(&zone).naive_local() - chrono::Duration::days(1);
            crate::schedule::next_after(start, zone, &freq, now, None)
        })
        .map(|o| format!(", next {}", crate::discord::render::when(o.utc)))
        .unwrap_or_default();
    match s.digest_cron.as_deref() {
        Some(crate::domain::program::DIGEST_OFF) => "off".into(),
        Some(cron) => format!("cron {cron} ({tz}){next}"),
        None => format!("Mondays 09:00 ({tz}){next}"),
    }
}
