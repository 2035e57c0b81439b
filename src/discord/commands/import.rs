//! `/program import` (issue 17): the organiser attaches a CSV; the bot downloads it with its own
//! client (size limit, timeout), finds each person in the server (by id, or by username through
//! Discord's member search), and answers with a dry run: what would change and every bad row
//! with its line number and why, the whole list as a file, and an Apply button. Apply (which
//! works after a restart: the dry run is in the database) writes it; each person changed gets
//! one DM saying who enrolled them, how to change or leave, and asking whether they may be
//! suggested to others.
use std::collections::HashMap;
use std::time::Duration;

use serenity::all::{
    Attachment, ButtonStyle, ComponentInteraction, Context, CreateActionRow, CreateAttachment, CreateButton, Member,
};

use super::{caller, caller_rights, guild, rights_of};
use crate::discord::bot::Bot;
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits;
use crate::discord::render::mention;
use crate::discord::reply::{BotError, Ctx};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::import::{read, BadRow, ImportFile, ImportRole, Who};
use crate::engine::hands::Organiser;
use crate::engine::import::{Change, ImportPlan, ImportRow, Welcome};
use crate::engine::organisers::write_csv;

/// The largest file the import takes: 1,000 rows of long purposes fit.
pub const MAX_BYTES: usize = 1024 * 1024;
/// How long the download may take in all.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(20);
/// What Discord calls a CSV (or plain text, as some spreadsheets save it).
const CSV_TYPES: [&str; 4] = ["text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"];
/// Members the search returns per username: exact matches among names that start the same.
const SEARCH_LIMIT: u64 = 25;

fn refuse(text: String) -> BotError {
    BotError::user(text)
}

/// Refuses a file that is not a CSV or is too large, before downloading it.
fn check_file(file: &Attachment) -> Result<(), BotError> {
    let csv_name = file.filename.to_ascii_lowercase().ends_with(".csv");
    let mime = file
        .content_type
        .as_deref()
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase());
    let csv_type = mime.as_deref().is_none_or(|t| CSV_TYPES.contains(&t));
    if !csv_name || !csv_type {
        return Err(refuse(format!(
            "{} is not a CSV file. Attach a .csv file (UTF-8, with the header the README shows) to /program import.",
            limits::fit(&file.filename, 80)
        )));
    }
    if file.size as usize > MAX_BYTES {
        return Err(too_big(file.size as usize));
    }
    Ok(())
}

fn too_big(size: usize) -> BotError {
    refuse(format!(
        "The file is {} KB; /program import takes at most {} KB (about 1,000 rows). Split it into several files.",
        size.div_ceil(1024),
        MAX_BYTES / 1024
    ))
}

/// Downloads the attachment from Discord's CDN, stopping at [`MAX_BYTES`].
async fn download(client: &reqwest::Client, file: &Attachment) -> Result<Vec<u8>, BotError> {
    let again = |why: &str| {
        tracing::warn!(why, "downloading an import file failed");
        refuse("Discord did not hand over the file just now; run /program import with the file again.".into())
    };
    let mut response = client
        .get(&file.url)
        .timeout(DOWNLOAD_TIMEOUT)
        .send()
        .await
        .map_err(|e| again(&e.to_string()))?;
    if !response.status().is_success() {
        return Err(again(&format!("status {}", response.status())));
    }
    if response.content_length().is_some_and(|n| n as usize > MAX_BYTES) {
        return Err(too_big(response.content_length().unwrap_or_default() as usize));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| again(&e.to_string()))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BYTES {
            return Err(too_big(bytes.len()));
        }
    }
    Ok(bytes)
}

/// A member as the import needs them: id, name, and whether it is a bot.
type Found = Option<(UserId, String, bool)>;

fn found(m: &Member) -> Found {
    Some((UserId(m.user.id.get()), m.display_name().to_string(), m.user.bot))
}

/// Discord's "Unknown Member" and "Unknown User".
fn unknown(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(r))
        if r.status_code.as_u16() == 404 || [10007, 10013].contains(&r.error.code))
}

async fn by_id(ctx: Ctx<'_>, bot: &Bot, g: GuildId, id: u64) -> Result<Found, BotError> {
    let gid = serenity::all::GuildId::new(g.0);
    let uid = serenity::all::UserId::new(id.max(1));
    let cached = ctx
        .serenity_context()
        .cache
        .guild(gid)
        .and_then(|guild| guild.members.get(&uid).map(found));
    if let Some(f) = cached {
        return Ok(f);
    }
    let n = &bot.notifier;
    match n
        .paced_other(&format!("/guilds/{}/members", g.0), n.http().get_member(gid, uid))
        .await
    {
        Ok(m) => Ok(found(&m)),
        Err(e) if unknown(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn by_name(bot: &Bot, g: GuildId, name: &str) -> Result<Found, BotError> {
    let n = &bot.notifier;
    let members = n
        .paced_other(
            &format!("/guilds/{}/members/search", g.0),
            n.http()
                .search_guild_members(serenity::all::GuildId::new(g.0), name, Some(SEARCH_LIMIT)),
        )
        .await?;
    Ok(members
        .iter()
        .find(|m| m.user.name.eq_ignore_ascii_case(name))
        .and_then(found))
}

/// Finds each row's person in the server; rows naming nobody (or a bot) become bad rows.
async fn resolve(
    ctx: Ctx<'_>,
    bot: &Bot,
    g: GuildId,
    file: ImportFile,
) -> Result<(Vec<ImportRow>, Vec<BadRow>), BotError> {
    let mut bad = file.bad;
    let mut rows = Vec::new();
    let mut names: HashMap<String, Found> = HashMap::new();
    for row in file.rows {
        let who = match &row.who {
            Who::Id(id) => by_id(ctx, bot, g, *id).await?,
            Who::Name(name) => {
                let key = name.to_lowercase();
                match names.get(&key) {
                    Some(f) => f.clone(),
                    None => {
                        let f = by_name(bot, g, name).await?;
                        names.insert(key, f.clone());
                        f
                    }
                }
            }
        };
        match who {
            None => bad.push(BadRow {
                line: row.line,
                reason: format!("user: no member of this server is {}", row.who),
            }),
            Some((_, name, true)) => bad.push(BadRow {
                line: row.line,
                reason: format!("user: {name} is a bot"),
            }),
            Some((user, name, false)) => rows.push(ImportRow {
                line: row.line,
                user,
                name,
                fields: row.fields,
            }),
        }
    }
    Ok((rows, bad))
}

/// Every row as CSV: line, user, result, what changes or why it is bad.
fn report_csv(plan: &ImportPlan) -> String {
    let mut lines: Vec<(u64, Vec<String>)> = plan
        .rows
        .iter()
        .map(|r| {
            (
                r.row.line,
                vec![
                    r.row.line.to_string(),
                    r.row.user.0.to_string(),
                    r.row.name.clone(),
                    r.change.as_str().to_string(),
                    r.parts.join(" "),
                ],
            )
        })
        .chain(plan.bad.iter().map(|b| {
            (
                b.line,
                vec![
                    b.line.to_string(),
                    String::new(),
                    String::new(),
                    "bad".into(),
                    b.reason.clone(),
                ],
            )
        }))
        .collect();
    lines.sort_by_key(|l| l.0);
    write_csv(
        &["line", "user", "name", "result", "detail"],
        lines.into_iter().map(|l| l.1),
    )
}

/// The dry run's answer: counts, the bad rows, then the changes; what does not fit is in the file.
pub fn report_text(file: &str, plan: &ImportPlan) -> String {
    let mut text = format!(
        "**Import check of {}**: nothing is saved until you press Apply.\n{} rows: {} new people, {} updated, {} \
         unchanged, {} bad (skipped).",
        limits::fit(file, 80),
        plan.rows.len() + plan.bad.len(),
        plan.count(Change::New),
        plan.count(Change::Update),
        plan.count(Change::Same),
        plan.bad.len()
    );
    if !plan.bad.is_empty() {
        text += "\n**Bad rows** (fix them and import the file again; Apply skips them):";
        for b in &plan.bad {
            text += &format!("\nline {}: {}", b.line, b.reason);
        }
    }
    let changes: Vec<String> = plan
        .rows
        .iter()
        .filter(|r| r.change != Change::Same)
        .map(|r| {
            format!(
                "\nline {}: {} {} ({})",
                r.row.line,
                mention(r.row.user),
                r.change.as_str(),
                r.parts.join(", ")
            )
        })
        .collect();
    if changes.is_empty() {
        text += "\nNothing to apply: the server has every row as the file says.";
    } else {
        text += "\n**Changes:**";
        text += &changes.concat();
    }
    limits::shorten(&text, limits::MESSAGE_MAX, " (every row: import-check.csv)")
}

/// Enrol people from a CSV file: a dry run first, then Apply.
#[poise::command(
    slash_command,
    guild_only,
    rename = "import",
    default_member_permissions = "MANAGE_GUILD"
)]
pub async fn import(
    ctx: Ctx<'_>,
    #[description = "CSV with header user,role,topics,skills,capacity,timezone,availability,purpose"] file: Attachment,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    let who = Organiser {
        user: caller(ctx),
        is_admin,
        roles: &roles,
    };
    let bot = ctx.data().clone();
    // Nobody else gets as far as a download.
    bot.engine.may_import(g, who).await?;
    check_file(&file)?;
    ctx.defer_ephemeral().await?;
    let bytes = download(&bot.files, &file).await?;
    let parsed = read(&bytes).map_err(|e| {
        refuse(format!(
            "{} cannot be imported: {e}. Nothing was changed.",
            limits::fit(&file.filename, 80)
        ))
    })?;
    let (rows, bad) = resolve(ctx, &bot, g, parsed).await?;
    let plan = bot.engine.plan_import(g, who, rows, bad).await?;
    let mut reply = limits::reply(report_text(&file.filename, &plan)).attachment(CreateAttachment::bytes(
        report_csv(&plan).into_bytes(),
        "import-check.csv",
    ));
    if let Some(id) = plan.id {
        reply = reply.components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
            CustomId::new(Action::ImportApply, &[g.0, id as u64]).encode(),
        )
        .label("Apply")
        .style(ButtonStyle::Success)])]);
    }
    ctx.send(reply).await?;
    Ok(())
}

/// The Apply button of a dry run (in the server, by an organiser).
pub async fn apply(ctx: &Context, bot: &Bot, c: &ComponentInteraction, id: &CustomId) -> Result<(), BotError> {
    let invalid = || BotError::user("This button is no longer valid; run /program import again.");
    let &[g, import] = id.numbers.as_slice() else {
        return Err(invalid());
    };
    let import = i64::try_from(import).map_err(|_| invalid())?;
    if c.guild_id.map(|x| x.get()) != Some(g) {
        return Err(invalid());
    }
    let (is_admin, roles) = rights_of(c.member.as_ref());
    let who = Organiser {
        user: UserId(c.user.id.get()),
        is_admin,
        roles: &roles,
    };
    // Hundreds of rows: more than Discord's three seconds for the first answer.
    c.defer_ephemeral(&ctx.http).await?;
    let text = match bot.engine.apply_import(GuildId(g), who, import).await {
        Ok(done) => format!(
            "Import applied: {} people enrolled, {} updated, {} already as the file says. Each person enrolled or \
             updated gets a DM saying so, with how to change or leave.",
            done.created, done.updated, done.unchanged
        ),
        Err(e) => BotError::from(e).reply_text(&c.data.custom_id),
    };
    c.create_followup(&ctx.http, limits::followup(text)).await?;
    Ok(())
}

/// The welcome's "may others see me in /mentor suggest" buttons.
pub async fn suggest(ctx: &Context, bot: &Bot, c: &ComponentInteraction, id: &CustomId) -> Result<(), BotError> {
    let &[g, user, on @ 0..=1] = id.numbers.as_slice() else {
        return Err(BotError::user(
            "This button is no longer valid; use /mentor profile suggestable:.",
        ));
    };
    let on = bot
        .engine
        .answer_import_suggest(GuildId(g), UserId(c.user.id.get()), UserId(user), on == 1)
        .await?;
    let text = if on {
        "Thanks: others may now see you in /mentor suggest. /mentor profile suggestable:False turns it off."
    } else {
        "Understood: nobody sees you in /mentor suggest. /mentor profile suggestable:True turns it on."
    };
    crate::discord::reply::Answerable::Component(c)
        .ephemeral(ctx, text)
        .await?;
    Ok(())
}

fn role_text(role: ImportRole) -> &'static str {
    match role {
        ImportRole::Mentor => "a **mentor**",
        ImportRole::Mentee => "a **mentee**",
        ImportRole::Both => "a **mentor** and a **mentee**",
    }
}

/// The DM an imported person gets.
pub fn welcome_text(w: &Welcome) -> String {
    let what = if w.new {
        "enrolled you in this server's mentorship program"
    } else {
        "updated your enrolment in this server's mentorship program"
    };
    format!(
        "{} (an organiser) {what} as {}, from the program's list.\nSee or change your profile with /mentor \
         profile, your offer or request with /mentor offer, /mentor seek and /mentor withdraw. To leave, withdraw \
         them; /mentor forget removes everything the bot keeps about you.\n**May other members see you in /mentor \
         suggest?** Nobody does until you say yes.",
        mention(w.by),
        role_text(w.role)
    )
}

pub fn suggest_buttons(w: &Welcome) -> CreateActionRow {
    let id = |on: u64| CustomId::new(Action::ImportSuggest, &[w.guild.0, w.user.0, on]).encode();
    CreateActionRow::Buttons(vec![
        CreateButton::new(id(1))
            .label("Yes, suggest me")
            .style(ButtonStyle::Success),
        CreateButton::new(id(0)).label("No").style(ButtonStyle::Secondary),
    ])
}
