//! `/mentor my-data` and `/mentor forget`: a member's data rights.
use serenity::all::{ButtonStyle, CreateActionRow, CreateAttachment, CreateButton};

use super::{caller, guild, say};
use crate::discord::ids::{Action, CustomId};
use crate::discord::limits;
use crate::discord::notify::Delivery;
use crate::discord::reply::{BotError, Ctx};

/// Everything the bot holds about you in this server, as a JSON file by DM.
#[poise::command(slash_command, guild_only, rename = "my-data")]
pub async fn my_data(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    // Gathering and sending may take longer than Discord waits for an answer.
    ctx.defer_ephemeral().await?;
    let data = ctx.data().engine.my_data(g, me).await?;
    // A JSON value always serialises.
    let bytes = serde_json::to_vec_pretty(&data).unwrap_or_default();
    let message = limits::dm("Everything mentorbot holds about you in this server.")
        .add_file(CreateAttachment::bytes(bytes, "mentorbot-my-data.json"));
    match ctx.data().notifier.dm_always(g, None, me, message).await {
        Delivery::Dm => say(ctx, "Your data is in your DMs, as a JSON file.").await,
        _ => {
            say(
                ctx,
                "I could not DM you; please allow DMs from this server's members and try again.",
            )
            .await
        }
    }
}

/// Delete your profile, offers, requests, journal and retrospectives in this server.
#[poise::command(slash_command, guild_only)]
pub async fn forget(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    let button = CreateButton::new(CustomId::new(Action::Forget, &[g.0, me.0]).encode())
        .label("Yes, forget me")
        .style(ButtonStyle::Danger);
    ctx.send(
        limits::reply(
            "This deletes your profile, offers, requests, journal and retrospectives in this server and ends your \
             mentorships here (the others are told that a member left, nothing more). It cannot be undone. \
             Are you sure?",
        )
        .components(vec![CreateActionRow::Buttons(vec![button])]),
    )
    .await?;
    Ok(())
}
