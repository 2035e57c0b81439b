//! Chemistry and formal criteria in Discord (issue 13): `/program question add|remove|list|
//! ready-made` and `/program levels` for the organisers; for members, the answers in select
//! menus reached from `/mentor profile` (a few questions at a time: a message holds at most
//! five rows, so four menus and a row of page buttons), and the autocompletion of profession,
//! unit and level.
//!
//! Every message here shows text people typed (questions, choices, professions); it is built
//! by `discord::limits`, so it mentions nobody. The menus' and buttons' presses are checked by
//! the engine (`engine::presses`: the presser is a member now, the questions were shown to them).
use serenity::all::{
    AutocompleteChoice, ButtonStyle, ComponentInteraction, Context, CreateActionRow, CreateAutocompleteResponse,
    CreateButton, CreateInteractionResponse, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
};

use super::{caller_rights, fit, guild};
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits::{self, MESSAGE_MAX};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::questions::{format_levels, Answer, Question, QuestionInput, NOT_A_TEST};
use crate::engine::questions::QuestionsPage;
use crate::engine::Engine;

/// Questions per page: four select menus and the row of page buttons make Discord's five rows.
pub const PER_PAGE: usize = 4;
/// Discord's limit on a select menu's placeholder.
const PLACEHOLDER_MAX: usize = 150;
/// Discord's limits on a select option's label and value.
const OPTION_MAX: usize = 100;

/// An ephemeral answer that mentions nobody, whatever the text holds.
async fn tell(ctx: Ctx<'_>, text: impl Into<String>) -> Result<(), BotError> {
    ctx.send(limits::reply(text)).await?;
    Ok(())
}

fn answers_text(q: &Question) -> &'static str {
    if q.multiple {
        "any number of answers"
    } else {
        "one answer"
    }
}

/// A question in full: at most 100 + 10 x 82 + 200 characters.
fn full(q: &Question) -> String {
    let preset = if q.preset.is_some() { ", ready-made" } else { "" };
    format!(
        "**#{}** {}\nChoices: {}\n({}; {}; weight {}{preset})",
        q.id,
        q.text,
        q.choices.join("; "),
        answers_text(q),
        q.rule_text(),
        q.weight
    )
}

async fn rule_names(_ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let choices = crate::matching::Rule::NAMES
        .iter()
        .filter(|r| r.starts_with(&partial.trim().to_ascii_lowercase()))
        .map(|r| AutocompleteChoice::new(*r, *r))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// The program's matching questions (organisers).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("add", "remove", "list", "ready_made")
)]
pub async fn question(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Add a matching question that members answer in /mentor profile (at most 10 in use).
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn add(
    ctx: Ctx<'_>,
    #[description = "The question, e.g. How do you like meetings to run? (at most 100 characters)"] text: String,
    #[description = "2 to 10 choices separated by ; e.g. Planned, structured; Spontaneous, open"] choices: String,
    #[description = "same, different, mentor-above (ordinal choices, lowest first) or complementary"]
    #[autocomplete = "rule_names"]
    rule: String,
    #[description = "May members pick several choices? (default: one)"] multiple: Option<bool>,
    #[description = "For complementary: pairs of choice numbers that go together, e.g. 1-2, 3-4"] pairs: Option<String>,
    #[description = "Its weight in the score, 0 to 10 (default 0.1)"] weight: Option<f64>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    // Discord hides the command from others, but that is advice to clients: the engine checks.
    let (is_admin, roles) = caller_rights(ctx);
    let input = QuestionInput {
        text,
        choices,
        multiple: multiple.unwrap_or(false),
        rule,
        pairs,
        weight,
    };
    let q = ctx.data().engine.add_question(g, is_admin, &roles, &input).await?;
    tell(
        ctx,
        format!(
            "Question added. Members answer it from /mentor profile; matching, suggestions and previews count it from now on.\n{}",
            full(&q)
        ),
    )
    .await
}

/// Remove a matching question from future matching (what earlier matches said stays).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn remove(
    ctx: Ctx<'_>,
    #[description = "The question's number (see /program question list)"] id: i64,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    let q = ctx.data().engine.remove_question(g, is_admin, &roles, id).await?;
    tell(
        ctx,
        format!(
            "Question #{} removed: \"{}\". It no longer counts in matching; what earlier matches and messages said stays.",
            q.id, q.text
        ),
    )
    .await
}

/// The matching questions in use; with a number, one question in full.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn list(
    ctx: Ctx<'_>,
    #[description = "A question's number, to see it in full"] id: Option<i64>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let questions = ctx.data().engine.questions(g).await?;
    if let Some(id) = id {
        let text = match questions.iter().find(|q| q.id.0 == id) {
            Some(q) => full(q),
            None => format!("There is no question #{id} in use; /program question list shows them all."),
        };
        return tell(ctx, text).await;
    }
    tell(ctx, list_text(&questions, &ctx.data().engine.levels(g).await?)).await
}

/// The list of questions, each cut to its share of one message.
pub fn list_text(questions: &[Question], levels: &[String]) -> String {
    let levels = if levels.is_empty() {
        "Levels: none defined (/program levels sets them).".to_string()
    } else {
        format!("Levels: {}.", format_levels(levels))
    };
    if questions.is_empty() {
        return format!(
            "No matching questions yet. Add one with /program question add, or turn on the ready-made set on working \
             and communication styles with /program question ready-made.\n{levels}"
        );
    }
    let head = format!(
        "**Matching questions** ({} of at most {}; /program question list id:<n> shows one in full)\n",
        questions.len(),
        crate::domain::questions::MAX_QUESTIONS
    );
    let budget = (MESSAGE_MAX - limits::len(&head) - limits::len(&levels) - 20) / questions.len();
    let mut text = head;
    for q in questions {
        let line = format!(
            "**#{}** {} ({}; {}; weight {}): {}",
            q.id,
            q.text,
            answers_text(q),
            q.rule.as_str(),
            q.weight,
            q.choices.join("; ")
        );
        text += &fit(&line, budget);
        text.push('\n');
    }
    text + &levels
}

/// Turn on the ready-made questions on working and communication styles.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    rename = "ready-made"
)]
pub async fn ready_made(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    let added = ctx.data().engine.add_ready_made(g, is_admin, &roles).await?;
    let mut text = format!(
        "Added {} ready-made question(s) on working and communication styles; members answer them from /mentor profile.\n\
         Members are told: \"{NOT_A_TEST}\"\n",
        added.len()
    );
    for q in &added {
        text += &format!("**#{}** {} ({})\n", q.id, q.text, q.choices.join(" / "));
    }
    tell(ctx, text).await
}

/// The server's levels, lowest first, e.g. student < new grad < clinician < senior clinician < manager.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn levels(
    ctx: Ctx<'_>,
    #[description = "Lowest first, separated by <, e.g. student < new grad < clinician; none removes them"]
    ladder: Option<String>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    let engine = &ctx.data().engine;
    let text = match ladder {
        Some(ladder) => {
            let levels = engine.set_levels(g, is_admin, &roles, &ladder).await?;
            if levels.is_empty() {
                "Levels removed. Members keep what they gave, but levels no longer count in matching.".to_string()
            } else {
                format!(
                    "Levels saved: {}. Members pick theirs with /mentor profile level:. Classic mentoring looks for a \
                     mentor above the mentee, reverse mentoring below.",
                    format_levels(&levels)
                )
            }
        }
        None => {
            let levels = engine.levels(g).await?;
            if levels.is_empty() {
                "No levels yet. Set them with /program levels ladder:\"student < new grad < clinician\".".to_string()
            } else {
                format!("Levels: {}.", format_levels(&levels))
            }
        }
    };
    tell(ctx, text).await
}

// ------------------------------------------------------------------ members

/// Autocompletes a level from the server's ladder.
pub async fn level_names(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let levels = match ctx.interaction.guild_id {
        Some(g) => ctx.data().engine.levels(GuildId(g.get())).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let p = partial.trim().to_lowercase();
    let choices = levels
        .iter()
        .filter(|l| l.to_lowercase().contains(&p))
        .take(25)
        .map(|l| AutocompleteChoice::new(l.as_str(), l.as_str()))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

async fn known_values(ctx: Ctx<'_>, partial: &str, unit: bool) -> CreateAutocompleteResponse {
    let values = match ctx.interaction.guild_id {
        Some(g) => ctx
            .data()
            .engine
            .criteria_values(GuildId(g.get()), unit)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let p = partial.trim();
    let mut choices: Vec<AutocompleteChoice> = Vec::new();
    if !p.is_empty() {
        // What the person is typing is always a choice: a new profession is fine.
        let typed: String = p.chars().take(100).collect();
        choices.push(AutocompleteChoice::new(typed.clone(), typed));
    }
    let lower = p.to_lowercase();
    choices.extend(
        values
            .iter()
            .filter(|v| v.to_lowercase().contains(&lower) && v.to_lowercase() != lower)
            .take(24)
            .map(|v| AutocompleteChoice::new(fit(v, OPTION_MAX), fit(v, OPTION_MAX))),
    );
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// Autocompletes a profession from the ones others gave in the server.
pub async fn profession_names(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    known_values(ctx, partial, false).await
}

/// Autocompletes a unit from the ones others gave in the server.
pub async fn unit_names(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    known_values(ctx, partial, true).await
}

/// The profile's lines about profession, unit, level and the questions, and the button that
/// opens the questions (when the server has any).
pub async fn profile_part(
    engine: &Engine,
    guild: GuildId,
    user: UserId,
) -> Result<(String, Option<CreateActionRow>), BotError> {
    let c = engine.criteria(guild, user).await?;
    let levels = engine.levels(guild).await?;
    let level = match &c.level {
        Some(l) if levels.contains(l) => l.clone(),
        Some(l) => format!("{l} (no longer one of the server's levels)"),
        None => "not given".into(),
    };
    let mut text = format!(
        "\nProfession: {}\nUnit: {}\nLevel: {level}",
        c.profession.as_deref().unwrap_or("not given"),
        c.unit.as_deref().unwrap_or("not given"),
    );
    let questions = engine.questions(guild).await?;
    if questions.is_empty() {
        return Ok((text, None));
    }
    let answers = engine.my_answers(guild, user).await?;
    let answered = questions
        .iter()
        .filter(|q| answers.iter().any(|a| a.question == q.id))
        .count();
    text += &format!(
        "\nMatching questions: {answered} of {} answered (not a psychometric test; press the button to answer)",
        questions.len()
    );
    let button = CreateButton::new(CustomId::new(Action::QuestionsPage, &[guild.0, user.0, 0, 1]).encode())
        .label("Answer the matching questions")
        .style(ButtonStyle::Primary);
    Ok((text, Some(CreateActionRow::Buttons(vec![button]))))
}

/// One page of the questions with the member's answers preselected: the text and the rows.
pub fn page(
    guild: GuildId,
    user: UserId,
    questions: &[Question],
    answers: &[Answer],
    page: usize,
    note: Option<&str>,
) -> (String, Vec<CreateActionRow>) {
    let pages = questions.len().div_ceil(PER_PAGE).max(1);
    let page = page.min(pages - 1);
    let shown = &questions[(page * PER_PAGE).min(questions.len())..((page + 1) * PER_PAGE).min(questions.len())];
    let mut text = if pages > 1 {
        format!("**Matching questions** (page {} of {pages})\n", page + 1)
    } else {
        "**Matching questions**\n".to_string()
    };
    text += NOT_A_TEST;
    text.push('\n');
    if shown.is_empty() {
        text += "There are no questions to answer right now.";
        return (text, Vec::new());
    }
    for (k, q) in shown.iter().enumerate() {
        text += &format!("{}. {} ({})\n", page * PER_PAGE + k + 1, q.text, answers_text(q));
    }
    text += "Pick your answers in the menus below; each is saved as you pick, and clearing a menu clears the answer.";
    if let Some(note) = note {
        text.push('\n');
        text += note;
    }
    let mut rows: Vec<CreateActionRow> = shown
        .iter()
        .map(|q| {
            let mine: &[usize] = answers
                .iter()
                .find(|a| a.question == q.id)
                .map(|a| a.choices.as_slice())
                .unwrap_or(&[]);
            let options = q
                .choices
                .iter()
                .enumerate()
                .map(|(c, label)| {
                    CreateSelectMenuOption::new(fit(label, OPTION_MAX), c.to_string())
                        .default_selection(mine.contains(&c))
                })
                .collect();
            let id = CustomId::new(Action::AnswerQuestion, &[guild.0, user.0, q.id.0 as u64, page as u64]);
            CreateActionRow::SelectMenu(
                CreateSelectMenu::new(id.encode(), CreateSelectMenuKind::String { options })
                    .placeholder(fit(&q.text, PLACEHOLDER_MAX))
                    .min_values(0)
                    .max_values(if q.multiple { q.choices.len() as u8 } else { 1 }),
            )
        })
        .collect();
    if pages > 1 {
        let nav = |label: &str, to: usize, disabled: bool| {
            CreateButton::new(CustomId::new(Action::QuestionsPage, &[guild.0, user.0, to as u64]).encode())
                .label(label)
                .style(ButtonStyle::Secondary)
                .disabled(disabled)
        };
        rows.push(CreateActionRow::Buttons(vec![
            nav("Previous", page.saturating_sub(1), page == 0),
            nav("Next", page + 1, page + 1 >= pages),
        ]));
    }
    (fit(&text, MESSAGE_MAX), rows)
}

/// A page of questions the engine let through: opened from the profile as a message of its
/// own, or in place of the page the menu or button sits on.
pub async fn show_page(ctx: &Context, c: &ComponentInteraction, p: QuestionsPage) -> Result<(), BotError> {
    let (text, rows) = page(p.guild, p.user, &p.questions, &p.answers, p.page, p.note.as_deref());
    let response = if p.open {
        CreateInteractionResponse::Message(limits::response(text).components(rows))
    } else {
        CreateInteractionResponse::UpdateMessage(limits::update(text).components(rows))
    };
    c.create_response(&ctx.http, response).await?;
    Ok(())
}
