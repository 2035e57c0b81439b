//! `/program stats`: the program's health for organisers, as a chart and a few lines.
use serenity::all::CreateAttachment;

use super::{caller_rights, guild};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::guide::{EvaluationStats, MIN_ANSWERS};
use crate::engine::organisers::{HealthCounts, ProgramStats, WEEKS};

/// The program at a glance: phases, check-ins per week, reflections, pairs at risk.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn stats(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    // Discord hides the command from others, but that is advice to clients: the engine checks.
    let (is_admin, roles) = caller_rights(ctx);
    // Reading every check-in of a big server and drawing may take longer than Discord waits.
    ctx.defer_ephemeral().await?;
    let stats = ctx.data().engine.program_stats(g, is_admin, &roles).await?;
    let evaluation = ctx.data().engine.evaluation_stats(g, is_admin, &roles).await?;
    let weeks = stats.weeks.clone();
    let text = format!("{}\n{}", summary(&stats), evaluation_line(evaluation.as_ref()));
    let mut reply =
        crate::discord::limits::reply(crate::discord::limits::fit(&text, crate::discord::limits::MESSAGE_MAX));
    match tokio::task::spawn_blocking(move || crate::charts::weekly_png(&weeks)).await {
        Ok(Ok(png)) => reply = reply.attachment(CreateAttachment::bytes(png, "program-stats.png")),
        // The numbers are in the text too: answer with them rather than not at all.
        Ok(Err(e)) => tracing::error!(error = %e, "could not draw the stats chart"),
        Err(e) => tracing::error!(error = %e, "the stats chart panicked"),
    }
    ctx.send(reply).await?;
    Ok(())
}

/// How members rated their mentorships, only with enough answers that nobody can be told apart.
pub fn evaluation_line(e: Option<&EvaluationStats>) -> String {
    let Some(e) = e else {
        return format!(
            "**Ratings:** shown once at least {MIN_ANSWERS} members have rated a mentorship (so no one's answer can \
             be told apart)."
        );
    };
    let dist: Vec<String> = e
        .values
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}★ {n}", i + 1))
        .collect();
    let early = if e.ended == 0 {
        "no mentorship has ended".to_string()
    } else {
        format!(
            "{} of {} ended mentorships ({:.0}%) ended before their planned end",
            e.ended_early,
            e.ended,
            100.0 * e.ended_early as f64 / e.ended as f64
        )
    };
    let again = match e.again {
        Some((yes, no)) => format!("Would join again: {yes} yes, {no} no."),
        None => format!("Would join again: shown from {MIN_ANSWERS} answers on."),
    };
    format!(
        "**Ratings** ({} answers, how valuable the mentorship was): {}. {again} {early}.",
        e.answers,
        dist.join(", "),
    )
}

pub fn health_line(h: &HealthCounts) -> String {
    format!("🟢 {} green, 🟠 {} amber, 🔴 {} red", h.green, h.amber, h.red)
}

/// The summary next to the chart: counts only, never anyone's words.
pub fn summary(s: &ProgramStats) -> String {
    let mut out = String::from("**Program stats**\n**Mentorships by phase:** ");
    if s.by_phase.is_empty() {
        out += "none yet";
    } else {
        let phases: Vec<String> = s.by_phase.iter().map(|(state, n)| format!("{state} {n}")).collect();
        out += &phases.join(", ");
    }
    let held: u32 = s.weeks.iter().map(|w| w.held).sum();
    let missed: u32 = s.weeks.iter().map(|w| w.missed).sum();
    out += &format!(
        "\n**Check-ins, last {WEEKS} weeks:** {held} held, {missed} missed (chart: one pair of bars per week, oldest \
         left; green held, red missed or skipped). This week: {} held, {} missed.",
        s.weeks.last().map_or(0, |w| w.held),
        s.weeks.last().map_or(0, |w| w.missed)
    );
    out += &match s.reflection_percent() {
        Some(p) => format!(
            "\n**Reflections:** {} of {} held check-ins ({p:.0}%) have a journal entry.",
            s.reflected, s.held
        ),
        None => "\n**Reflections:** no check-in held yet.".into(),
    };
    out += &format!(
        "\n**Active mentorships at risk:** {}. Red: no held check-in in the last two planned; amber: a past \
         check-in nobody reported.",
        health_line(&s.health)
    );
    out
}
