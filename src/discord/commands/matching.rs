//! Matching in Discord: `/mentor suggest` for one person, `/program match preview|publish`
//! and `/program export` for the organisers.
use serenity::all::{ButtonStyle, CreateActionRow, CreateAttachment, CreateButton};

use super::{caller, caller_rights, fit, guild, say};
use crate::discord::bot::Bot;
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits;
use crate::discord::render::{self, mention, mentions};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::ids::UserId;
use crate::domain::listing::Kind;
use crate::domain::relationship::{MemberStatus, Relationship, Role};
use crate::engine::matching::{mentor_view, MatchRun, SuggestFor};

/// Discord's limit on a message's text.
const MESSAGE_MAX: usize = 2000;

/// The five people who fit your open request (or offer) best, and why.
#[poise::command(slash_command, guild_only)]
pub async fn suggest(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    // Scoring reads the whole server's offers and requests: more than Discord's three seconds
    // on a big server, so the answer comes as a follow-up.
    ctx.defer_ephemeral().await?;
    let (target, list) = ctx.data().engine.suggest(g, me).await?;
    let (text, rows) = suggestions_message(g, me, target, &list);
    // The reasons quote what people typed (professions, answers): the reply mentions nobody.
    ctx.send(limits::reply(text).components(rows)).await?;
    Ok(())
}

/// The suggestions for `me`'s open request (or offer) with a button each, or why there are none.
pub fn suggestions_message(
    g: crate::domain::ids::GuildId,
    me: UserId,
    target: SuggestFor,
    list: &[crate::engine::matching::Suggestion],
) -> (String, Vec<CreateActionRow>) {
    let (who, what, label, action) = match target {
        SuggestFor::Request => ("mentors", "request", "Request", Action::SuggestRequest),
        SuggestFor::Offer => ("mentees", "offer", "Offer", Action::SuggestOffer),
    };
    if list.is_empty() {
        return (
            format!(
                "Nobody can be suggested for your open {what} yet: no {who} who agreed to be suggested, with a free \
                 place, that you were not paired with before. Try again later."
            ),
            Vec::new(),
        );
    }
    let mut text = format!(
        "The {} best {who} for your open {what}, by how well you fit:\n",
        list.len()
    );
    let per_line = (MESSAGE_MAX - text.len() - 100) / list.len();
    for (n, s) in list.iter().enumerate() {
        let line = format!(
            "**{}.** {} (score {:.2}): {}.",
            n + 1,
            mention(s.user),
            s.score,
            s.reasons.join("; ")
        );
        text += &fit(&line, per_line);
        text.push('\n');
    }
    text += &format!("Press {label} to send one of them your {what} directly.");
    let buttons = list
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let kind = u64::from(s.kind == Kind::Reverse);
            CreateButton::new(CustomId::new(action, &[g.0, me.0, s.user.0, kind]).encode())
                .label(format!("{label} {}", n + 1))
                .style(ButtonStyle::Primary)
        })
        .collect();
    (fit(&text, MESSAGE_MAX), vec![CreateActionRow::Buttons(buttons)])
}

/// Program-wide matching (organisers).
#[poise::command(
    slash_command,
    guild_only,
    rename = "match",
    default_member_permissions = "MANAGE_GUILD",
    subcommands("preview", "publish")
)]
pub async fn match_(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// What matching would do now over all open requests and offers; sends nothing.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn preview(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    // Discord hides the command from others, but that is advice to clients: the engine checks.
    let (is_admin, roles) = caller_rights(ctx);
    // A whole program's assignment may take longer than Discord waits for a first answer.
    ctx.defer_ephemeral().await?;
    let run = ctx.data().engine.match_preview(g, is_admin, &roles).await?;
    let text = format!(
        "**Matching preview** (nothing is sent; /program match publish sends it)\n{}",
        summary(&run)
    );
    ctx.send(
        limits::reply(limits::shorten(&text, MESSAGE_MAX, " (every line: the CSV)"))
            .attachment(CreateAttachment::bytes(csv(&run).into_bytes(), "match-preview.csv")),
    )
    .await?;
    Ok(())
}

/// Runs matching and sends each pair and peer group its proposal with the reasons.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn publish(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    ctx.defer_ephemeral().await?;
    let bot = ctx.data().clone();
    let published = bot.engine.match_publish(g, caller(ctx), is_admin, &roles).await?;
    let mut text = if published.pairs.is_empty() && published.groups.is_empty() {
        "Nothing new to send: every open request is placed, waiting for an answer, or has nobody who fits.\n"
            .to_string()
    } else {
        format!(
            "Sent {} pair proposal(s) and {} peer group invitation(s); each person has a DM with the reasons and \
             Accept / Decline.\n",
            published.pairs.len(),
            published.groups.len()
        )
    };
    text += &summary(&published.run);
    if !published.refused.is_empty() {
        text += &format!("\nNot sent ({}):", published.refused.len());
        for (u, why) in &published.refused {
            text += &format!("\n- {}: {why}", mention(*u));
        }
    }
    if !published.unplaced.is_empty() {
        text += &format!(
            "\n{} person(s) left unplaced get a priority bonus of {} in the next run.",
            published.unplaced.len(),
            published.run.bonus
        );
    }
    // Answer first: the DMs may take longer than Discord waits for an answer.
    let people: Vec<UserId> = published
        .pairs
        .iter()
        .map(|(r, _)| r)
        .chain(published.groups.iter().map(|(r, _)| r))
        .flat_map(|r| r.members.iter().map(|m| m.user))
        .chain(published.refused.iter().map(|(u, _)| *u))
        .chain(published.unplaced.iter().copied())
        .collect();
    let names = super::hands::names_of(ctx, g, people);
    ctx.send(
        limits::reply(limits::shorten(
            &text,
            MESSAGE_MAX,
            " (every line: published.csv, and the CSV of /program match preview)",
        ))
        .attachment(CreateAttachment::bytes(
            published_csv(&published, &names).into_bytes(),
            "published.csv",
        )),
    )
    .await?;
    let mut undelivered = Vec::new();
    for (rel, reasons) in &published.pairs {
        undelivered.extend(
            invite(&bot, rel, |role| {
                let reasons: Vec<String> = match role {
                    Role::Mentor => reasons.iter().map(|r| mentor_view(r)).collect(),
                    _ => reasons.clone(),
                };
                reasons.join("; ")
            })
            .await,
        );
    }
    for (rel, explanation) in &published.groups {
        undelivered.extend(invite(&bot, rel, |_| explanation.clone()).await);
    }
    tell_left_out(&bot, g, &published.run).await;
    // The organiser hears of every invitation that did not reach its person.
    if !undelivered.is_empty() {
        let lines: Vec<String> = undelivered
            .iter()
            .map(|(rel, u)| crate::discord::bot::undelivered_text(rel, *u))
            .collect();
        say(
            ctx,
            limits::shorten(
                &lines.join("\n"),
                MESSAGE_MAX,
                " (the rest: /program match preview's CSV)",
            ),
        )
        .await?;
    }
    Ok(())
}

/// Everyone this publish left out hears it from the bot, with why and what helps (issue 16,
/// item 3): without a profile, what matching needs; otherwise that their request stays open.
/// People who paused themselves know why and are not told.
async fn tell_left_out(bot: &crate::discord::bot::Bot, g: crate::domain::GuildId, run: &MatchRun) {
    let no_profile = |reason: &str| reason.starts_with("no profile");
    let mut told = std::collections::HashSet::new();
    for (reason, users) in run.unplaced_by_reason() {
        if reason == "paused" {
            continue;
        }
        let what = if no_profile(&reason) {
            crate::discord::interactions::profile_first_note(false)
        } else {
            "Your request stays open and gets priority at the next matching; meanwhile /mentor suggest shows who \
             fits, and /mentor request asks someone directly."
        };
        for u in users {
            if told.insert(u) {
                let text = format!(
                    "The organisers ran matching just now, and you were not placed this time ({reason}). {what}"
                );
                bot.notifier.dm(g, None, u, limits::dm(text)).await;
            }
        }
    }
    for l in run.file.left_out.iter().filter(|l| l.mentor && no_profile(&l.reason)) {
        let text = format!(
            "The organisers ran matching just now, and your offer was left out ({}). {}",
            l.reason,
            crate::discord::interactions::profile_first_note(true)
        );
        bot.notifier.dm(g, None, l.user, limits::dm(text)).await;
    }
}

/// The program file (`mentorbot match --input` format) of the open requests and offers.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn export(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    ctx.defer_ephemeral().await?;
    let file = ctx.data().engine.export_program(g, is_admin, &roles).await?;
    let reports = ctx.data().engine.relationship_reports(g, is_admin, &roles).await?;
    let text = format!(
        "The program file: {} mentor(s), {} mentee(s). Run it offline with `mentorbot match --input program.json`.\n\
         relationships.csv: {} mentorship(s) with their members, phase, dates and check-ins.",
        file.mentors.len(),
        file.mentees.len(),
        reports.len()
    );
    ctx.send(
        limits::reply(text)
            .attachment(CreateAttachment::bytes(file.text().into_bytes(), "program.json"))
            .attachment(CreateAttachment::bytes(
                crate::engine::organisers::reports_csv_named(
                    &reports,
                    Some(&super::hands::names_of(
                        ctx,
                        g,
                        reports.iter().flat_map(|r| r.members.iter().map(|m| m.0)),
                    )),
                )
                .into_bytes(),
                "relationships.csv",
            )),
    )
    .await?;
    Ok(())
}

/// The organisers' proposal, with why, to everyone invited; the usual Accept / Decline buttons.
/// Returns the invitations that could not be delivered.
pub(super) async fn invite(bot: &Bot, rel: &Relationship, why: impl Fn(Role) -> String) -> Vec<(Relationship, UserId)> {
    let mut undelivered = Vec::new();
    for m in rel.members.iter().filter(|m| m.status == MemberStatus::Invited) {
        let template = format!(
            "The program's organisers propose a **{}** mentorship (#{}) for you as **{}**, with {}.\n**Why:** {}.\n\
             **Purpose:** {}\nThis invitation expires {}.",
            rel.kind,
            rel.number,
            m.role,
            render::others(rel, m.user),
            why(m.role),
            limits::TEXT,
            render::when(rel.expires_at)
        );
        let text = render::with_purpose(&template, &rel.purpose, limits::DM_MAX);
        let buttons = CreateActionRow::Buttons(vec![
            CreateButton::new(CustomId::on(Action::Accept, rel.guild, rel.id).encode())
                .label("Accept")
                .style(ButtonStyle::Success),
            CreateButton::new(CustomId::on(Action::Decline, rel.guild, rel.id).encode())
                .label("Decline")
                .style(ButtonStyle::Danger),
        ]);
        let message = limits::dm(text).components(vec![buttons]);
        if bot.notifier.dm_always(rel.guild, Some(rel.id), m.user, message).await
            == crate::discord::notify::Delivery::Undelivered
        {
            undelivered.push((rel.clone(), m.user));
        }
    }
    undelivered
}

/// The numbers an organiser looks at before and after publishing.
fn summary(run: &MatchRun) -> String {
    let pairs = run.result.pairs.len();
    let grouped: usize = run.groups.iter().map(|g| g.members.len()).sum();
    let mut out = format!(
        "Placed: {} ({pairs} in pairs, {grouped} in {} peer group(s)). Unplaced: {}.\n",
        pairs + grouped,
        run.groups.len(),
        run.unplaced_count()
    );
    if let Some(mean) = run.mean_score() {
        out += &format!("Mean score of the pairs: {mean:.3}.\n");
    }
    let (used, free) = run.capacity_use();
    out += &format!("Capacity use: {used} of {free} free places.\n");
    let (fresh, placed) = run.never_paired_before();
    if placed > 0 {
        out += &format!(
            "Never paired before: {fresh} of {placed} placed mentees ({:.0}%).\n",
            100.0 * fresh as f64 / placed as f64
        );
    }
    if !run.boosted.is_empty() {
        out += &format!(
            "Priority bonus {} for {} person(s) left unplaced last time.\n",
            run.bonus,
            run.boosted.len()
        );
    }
    let why = run.unplaced_by_reason();
    if !why.is_empty() {
        out += "Why unplaced:\n";
        for (reason, users) in why {
            out += &format!("- {reason}: {} ({})\n", users.len(), mentions(&users));
        }
    }
    let mentors_out: Vec<UserId> = run.file.left_out.iter().filter(|l| l.mentor).map(|l| l.user).collect();
    if !mentors_out.is_empty() {
        out += &format!(
            "Offers left out (no profile yet or paused): {}\n",
            mentions(&mentors_out)
        );
    }
    if !run.groups.is_empty() {
        out += "Peer groups:\n";
        for g in &run.groups {
            out += &format!("- {}: {}\n", mentions(&g.members), g.explanation());
        }
    }
    out += "The full list is attached as CSV.";
    out
}

/// Every mentee: placed with their mentor, score, each criterion and reasons, or unplaced
/// with why; then the peer groups and the peer requests left over.
pub fn csv(run: &MatchRun) -> String {
    // Profession, level and the questions (issue 13) get columns of their own after the
    // reasons, only for a server that uses them; other servers' CSV is as it always was.
    let extra = run.program.extras.on;
    let more = if extra { 3 } else { 0 };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let unplaced = |user: String, reason: &str| {
        let mut row = vec![user];
        row.extend(std::iter::repeat_n(String::new(), 9));
        row.push(format!("unplaced: {reason}"));
        row.extend(std::iter::repeat_n(String::new(), more));
        row
    };
    for p in &run.result.pairs {
        let mut row = vec![p.mentee.clone(), p.mentor.clone(), p.score.to_string()];
        row.extend(p.criteria.as_array().iter().map(|v| v.to_string()));
        row.push(p.reasons.join("; "));
        match &p.extra_criteria {
            Some(x) => {
                let q: Vec<String> = x.questions.0.iter().map(|(id, v)| format!("{id}={v}")).collect();
                row.extend([x.profession.to_string(), x.level.to_string(), q.join(" ")]);
            }
            None => row.extend(std::iter::repeat_n(String::new(), more)),
        }
        rows.push(row);
    }
    for u in &run.result.unmatched {
        rows.push(unplaced(u.mentee.clone(), &u.reason));
    }
    for l in run.file.left_out.iter().filter(|l| !l.mentor) {
        rows.push(unplaced(l.user.to_string(), &l.reason));
    }
    for (n, g) in run.groups.iter().enumerate() {
        for m in &g.members {
            let mut row = vec![m.to_string(), format!("peer group {}", n + 1)];
            row.extend(std::iter::repeat_n(String::new(), 8));
            row.push(g.explanation());
            row.extend(std::iter::repeat_n(String::new(), more));
            rows.push(row);
        }
    }
    for l in &run.peers_left {
        rows.push(unplaced(l.user.to_string(), &l.reason));
    }
    crate::engine::organisers::write_csv(
        &[
            "mentee",
            "mentor",
            "score",
            "topic",
            "skill",
            "style",
            "timezone",
            "availability",
            "method",
            "kind",
            "reasons",
            "profession",
            "level",
            "questions",
        ][..11 + more],
        rows,
    )
}

/// What a publish did, one row per person: the mentorship proposed (or why none was), its kind,
/// the person's role and name, and the reasons.
pub fn published_csv(
    p: &crate::engine::matching::Published,
    names: &std::collections::HashMap<UserId, String>,
) -> String {
    let name = |u: &UserId| names.get(u).cloned().unwrap_or_default();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (rel, reasons) in &p.pairs {
        for m in &rel.members {
            rows.push(vec![
                m.user.to_string(),
                name(&m.user),
                m.role.to_string(),
                rel.number.to_string(),
                rel.kind.to_string(),
                "proposed".into(),
                reasons.join("; "),
            ]);
        }
    }
    for (rel, explanation) in &p.groups {
        for m in &rel.members {
            rows.push(vec![
                m.user.to_string(),
                name(&m.user),
                m.role.to_string(),
                rel.number.to_string(),
                rel.kind.to_string(),
                "proposed".into(),
                explanation.clone(),
            ]);
        }
    }
    for (u, why) in &p.refused {
        rows.push(vec![
            u.to_string(),
            name(u),
            String::new(),
            String::new(),
            String::new(),
            format!("not sent: {why}"),
            String::new(),
        ]);
    }
    for u in &p.unplaced {
        if !p.refused.iter().any(|(r, _)| r == u) {
            rows.push(vec![
                u.to_string(),
                name(u),
                String::new(),
                String::new(),
                String::new(),
                "unplaced".into(),
                String::new(),
            ]);
        }
    }
    crate::engine::organisers::write_csv(
        &["user", "name", "role", "mentorship", "kind", "status", "reasons"],
        rows,
    )
}
