//! `/mentorship plan`: goals and steps, numbered within their mentorship (goal 1, 2, 3; steps
//! in the order they were written), picked by autocomplete; add, finish, undo, drop, rename
//! (issue 16, items 8 and 12).
use chrono::NaiveDate;
use serenity::all::User;

use super::{caller, guild, other_person, say, which};
use crate::discord::pages::{self, Listing, Paged};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::ids::RelationshipId;
use crate::domain::plan::ItemStatus;
use crate::engine::numbers::{goal_number, step_number};

/// The action plan: goals and steps.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "plan_add",
        "plan_step",
        "plan_done",
        "plan_undo",
        "plan_drop",
        "plan_rename",
        "plan_list"
    )
)]
pub async fn plan(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Add a goal to the plan.
#[poise::command(slash_command, guild_only, rename = "add")]
pub async fn plan_add(
    ctx: Ctx<'_>,
    #[description = "The goal"] goal: String,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let (g, me) = (guild(ctx)?, caller(ctx));
    let rel = which(ctx, mentorship).await?;
    let engine = &ctx.data().engine;
    let goal = engine.add_goal(g, rel, me, &goal).await?;
    let n = goal_number(&engine.plan(g, rel, me).await?, goal.id).unwrap_or_default();
    say(
        ctx,
        format!(
            "Goal {n} added: {}. Add its steps with /mentorship plan step (goal {n}).",
            goal.title
        ),
    )
    .await
}

fn due_date(due: Option<String>) -> Result<Option<NaiveDate>, BotError> {
    due.map(|d| {
        NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
            BotError::user(format!(
                "Please fix the due date: \"{d}\" is not a date; write it as YYYY-MM-DD."
            ))
        })
    })
    .transpose()
}

/// Add a step to a goal.
#[poise::command(slash_command, guild_only, rename = "step")]
pub async fn plan_step(
    ctx: Ctx<'_>,
    #[description = "The goal (type its words, or its number in the plan)"]
    #[autocomplete = "super::pick::my_goals"]
    goal: i64,
    #[description = "The step"] step: String,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "Who does it"] owner: Option<User>,
    #[description = "Due date, YYYY-MM-DD"] due: Option<String>,
) -> Result<(), BotError> {
    let (g, me) = (guild(ctx)?, caller(ctx));
    let rel = which(ctx, mentorship).await?;
    let owner = match &owner {
        Some(u) if u.id == ctx.interaction.user.id => Some(me),
        Some(u) => Some(other_person(ctx, u)?),
        None => None,
    };
    let due = due_date(due)?;
    let engine = &ctx.data().engine;
    let target = engine.goal_numbered(g, rel, me, goal).await?;
    let step = engine.add_step(g, rel, me, target.id, &step, owner, due).await?;
    let n = step_number(&engine.plan(g, rel, me).await?, step.id).unwrap_or_default();
    say(
        ctx,
        format!(
            "Step {n} added to goal {goal}: {}. Mark it with /mentorship plan done (step {n}).",
            step.text
        ),
    )
    .await
}

/// What a plan command changes: a goal or a step, by its number.
async fn change(
    ctx: Ctx<'_>,
    mentorship: Option<i64>,
    goal: Option<i64>,
    step: Option<i64>,
    status: ItemStatus,
) -> Result<(), BotError> {
    let (g, me) = (guild(ctx)?, caller(ctx));
    let rel = which(ctx, mentorship).await?;
    let engine = &ctx.data().engine;
    let word = match status {
        ItemStatus::Done => "Done",
        ItemStatus::Open => "Open again",
        ItemStatus::Dropped => "Dropped",
    };
    match one_of(goal, step)? {
        Target::Goal(n) => {
            let found = engine.goal_numbered(g, rel, me, n).await?;
            let goal = engine.set_goal_status(g, rel, me, found.id, status).await?;
            say(ctx, format!("{word}: goal {n}, {}.", goal.title)).await
        }
        Target::Step(n) => {
            let found = engine.step_numbered(g, rel, me, n).await?;
            let step = engine.set_step_status(g, rel, me, found.id, status).await?;
            say(ctx, format!("{word}: step {n}, {}.", step.text)).await
        }
    }
}

enum Target {
    Goal(i64),
    Step(i64),
}

fn one_of(goal: Option<i64>, step: Option<i64>) -> Result<Target, BotError> {
    match (goal, step) {
        (None, Some(s)) => Ok(Target::Step(s)),
        (Some(g), None) => Ok(Target::Goal(g)),
        _ => Err(BotError::user(
            "Please give either a `step` or a `goal` (one of them); /mentorship plan list shows their numbers.",
        )),
    }
}

/// Mark a step (or a whole goal) done.
#[poise::command(slash_command, guild_only, rename = "done")]
pub async fn plan_done(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "The step (type its words, or its number)"]
    #[autocomplete = "super::pick::my_steps"]
    step: Option<i64>,
    #[description = "Or a whole goal"]
    #[autocomplete = "super::pick::my_goals"]
    goal: Option<i64>,
) -> Result<(), BotError> {
    change(ctx, mentorship, goal, step, ItemStatus::Done).await
}

/// Open a step (or goal) again: undo done or dropped.
#[poise::command(slash_command, guild_only, rename = "undo")]
pub async fn plan_undo(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "The step (type its words, or its number)"]
    #[autocomplete = "super::pick::my_steps"]
    step: Option<i64>,
    #[description = "Or a whole goal"]
    #[autocomplete = "super::pick::my_goals"]
    goal: Option<i64>,
) -> Result<(), BotError> {
    change(ctx, mentorship, goal, step, ItemStatus::Open).await
}

/// Drop a step (or goal) you no longer pursue; it stays listed as dropped.
#[poise::command(slash_command, guild_only, rename = "drop")]
pub async fn plan_drop(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "The step (type its words, or its number)"]
    #[autocomplete = "super::pick::my_steps"]
    step: Option<i64>,
    #[description = "Or a whole goal"]
    #[autocomplete = "super::pick::my_goals"]
    goal: Option<i64>,
) -> Result<(), BotError> {
    change(ctx, mentorship, goal, step, ItemStatus::Dropped).await
}

/// Change the words of a step or goal.
#[poise::command(slash_command, guild_only, rename = "rename")]
pub async fn plan_rename(
    ctx: Ctx<'_>,
    #[description = "The new words"] text: String,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
    #[description = "The step (type its words, or its number)"]
    #[autocomplete = "super::pick::my_steps"]
    step: Option<i64>,
    #[description = "Or a goal"]
    #[autocomplete = "super::pick::my_goals"]
    goal: Option<i64>,
) -> Result<(), BotError> {
    let (g, me) = (guild(ctx)?, caller(ctx));
    let rel = which(ctx, mentorship).await?;
    let engine = &ctx.data().engine;
    match one_of(goal, step)? {
        Target::Goal(n) => {
            let found = engine.goal_numbered(g, rel, me, n).await?;
            let goal = engine.rename_goal(g, rel, me, found.id, &text).await?;
            say(ctx, format!("Goal {n} is now: {}.", goal.title)).await
        }
        Target::Step(n) => {
            let found = engine.step_numbered(g, rel, me, n).await?;
            let step = engine.rename_step(g, rel, me, found.id, &text).await?;
            say(ctx, format!("Step {n} is now: {}.", step.text)).await
        }
    }
}

/// Show the plan.
#[poise::command(slash_command, guild_only, rename = "list")]
pub async fn plan_list(
    ctx: Ctx<'_>,
    #[description = "The mentorship (type a name; left out: your only one)"]
    #[autocomplete = "super::pick::my_mentorships"]
    mentorship: Option<i64>,
) -> Result<(), BotError> {
    let RelationshipId(rel) = which(ctx, mentorship).await?;
    let p = Paged::new(Listing::Plan, guild(ctx)?, caller(ctx), &[rel as u64]);
    let first = pages::page(ctx.data(), &p, 0).await?;
    ctx.send(pages::reply(first)).await?;
    Ok(())
}
