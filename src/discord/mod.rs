//! The Discord edge: the only module that knows serenity and poise.
//!
//! The slash commands arrive with the Discord front end; for now the bot connects, registers
//! an empty command set and keeps the gateway session open.
use serenity::all::{ClientBuilder, Context, EventHandler, GatewayIntents, Ready};
use tracing::info;

use crate::app::App;

struct Handler;

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
    }
}

pub async fn run(app: App) -> anyhow::Result<()> {
    let token = app.settings.require_token()?.expose().to_string();
    let intents = GatewayIntents::GUILDS | GatewayIntents::DIRECT_MESSAGES;
    let mut client = ClientBuilder::new(token, intents).event_handler(Handler).await?;
    info!(database = app.store.backend(), "starting the Discord client");
    client.start().await?;
    Ok(())
}
