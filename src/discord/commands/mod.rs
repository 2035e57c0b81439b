//! Slash commands: parse options, call the engine, format the reply.
use std::sync::atomic::Ordering;

use serenity::all::{
    CreateActionRow, CreateInputText, CreateInteractionResponse, CreateModal, InputTextStyle, Permissions, User,
};

use super::bot::Draft;
use super::ids::{Action, CustomId};
use super::limits;
use super::reply::{BotError, Ctx};
use crate::domain::ids::{GuildId, UserId};

pub mod guide;
pub mod hands;
pub mod help;
pub mod import;
pub mod invitations;
pub mod matching;
pub mod mentor;
pub mod mentorship;
pub mod notifications;
pub mod organisers;
pub mod pick;
pub mod plan;
pub mod privacy;
pub mod program;
pub mod questions;

pub fn all() -> Vec<poise::Command<super::reply::Data, BotError>> {
    vec![mentor::mentor(), mentorship::mentorship(), program::program()]
}

pub fn guild(ctx: Ctx<'_>) -> Result<GuildId, BotError> {
    ctx.interaction
        .guild_id
        .map(|g| GuildId(g.get()))
        .ok_or_else(|| BotError::user("Please use this command in the server that runs the program."))
}

pub fn caller(ctx: Ctx<'_>) -> UserId {
    UserId(ctx.interaction.user.id.get())
}

/// The caller's roles and whether Discord says they may manage the server.
pub fn caller_rights(ctx: Ctx<'_>) -> (bool, Vec<u64>) {
    rights_of(ctx.interaction.member.as_deref())
}

/// A member's roles and whether Discord says they may manage the server (a button's presser).
pub fn rights_of(member: Option<&serenity::all::Member>) -> (bool, Vec<u64>) {
    match member {
        Some(m) => {
            let perms = m.permissions.unwrap_or(Permissions::empty());
            (
                perms.administrator() || perms.manage_guild(),
                m.roles.iter().map(|r| r.get()).collect(),
            )
        }
        None => (false, Vec::new()),
    }
}

/// The mentorship a command means: the one picked (its number), or the caller's only one in
/// progress. No mentorship has a number below 1.
pub async fn which(ctx: Ctx<'_>, given: Option<i64>) -> Result<crate::domain::ids::RelationshipId, BotError> {
    if given.is_some_and(|n| n < 1) {
        return Err(crate::engine::Error::NotFound("mentorship").into());
    }
    Ok(ctx
        .data()
        .engine
        .pick_mentorship(guild(ctx)?, caller(ctx), given)
        .await?)
}

/// Someone else, not a bot: the person a command is about.
pub fn other_person(ctx: Ctx<'_>, user: &User) -> Result<UserId, BotError> {
    if user.bot {
        return Err(BotError::user(format!(
            "{} is a bot; mention a person instead.",
            user.name
        )));
    }
    if user.id == ctx.interaction.user.id {
        return Err(BotError::user(
            "You mentioned yourself; mention the other person instead.",
        ));
    }
    Ok(UserId(user.id.get()))
}

/// An answer only the caller sees, fitted and pinging nobody (see `limits`).
pub async fn say(ctx: Ctx<'_>, text: impl Into<String>) -> Result<(), BotError> {
    ctx.send(limits::reply(text)).await?;
    Ok(())
}

/// Answers the command with a form.
pub async fn open_form(ctx: Ctx<'_>, modal: CreateModal) -> Result<(), BotError> {
    ctx.interaction
        .create_response(ctx.serenity_context(), CreateInteractionResponse::Modal(modal))
        .await?;
    ctx.has_sent_initial_response.store(true, Ordering::SeqCst);
    if let Some(run) = poise::Context::Application(ctx)
        .invocation_data::<super::Invocation>()
        .await
    {
        run.form.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// Keeps a command's options while the person fills in the form that `modal` builds (given the
/// form's custom id), then opens it.
pub async fn open_draft_form(
    ctx: Ctx<'_>,
    guild: GuildId,
    draft: Draft,
    modal: impl FnOnce(String) -> CreateModal,
) -> Result<(), BotError> {
    let key = ctx.interaction.id.get();
    ctx.data().engine.put_draft(key, guild, caller(ctx), &draft).await?;
    open_form(ctx, modal(CustomId::new(Action::DraftForm, &[key]).encode())).await
}

pub fn text_field(id: &str, label: &str, long: bool, required: bool, max: u16, value: Option<&str>) -> CreateActionRow {
    let style = if long {
        InputTextStyle::Paragraph
    } else {
        InputTextStyle::Short
    };
    let mut input = CreateInputText::new(style, fit(label, LABEL_MAX), id)
        .required(required)
        .max_length(max);
    if let Some(v) = value {
        input = input.value(v);
    }
    CreateActionRow::InputText(input)
}

pub use super::limits::{fit, LABEL_MAX};

pub fn purpose_form(custom_id: String, title: &str, hint: &str) -> CreateModal {
    purpose_form_with(custom_id, title, hint, None)
}

/// The purpose form, filled in with what the member wrote before.
pub fn purpose_form_with(custom_id: String, title: &str, hint: &str, value: Option<&str>) -> CreateModal {
    CreateModal::new(custom_id, fit(title, LABEL_MAX))
        .components(vec![text_field("purpose", hint, true, true, 1000, value)])
}
