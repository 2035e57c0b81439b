//! The one place where errors become replies: a person sees what to fix, or a short apology
//! while the details go to the log.
use serenity::all::{ComponentInteraction, Context, CreateActionRow, CreateInteractionResponse, ModalInteraction};
use tracing::{error, warn};

use super::limits;
use crate::engine;

pub const APOLOGY: &str = "Sorry, something went wrong on our side. It has been logged; please try again later.";

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Engine(#[from] engine::Error),
    /// Bad input caught at the edge (a bot mentioned, an option out of range...).
    #[error("{0}")]
    User(String),
    #[error("Discord request failed: {0}")]
    Discord(Box<serenity::Error>),
}

impl From<serenity::Error> for BotError {
    fn from(e: serenity::Error) -> Self {
        BotError::Discord(Box::new(e))
    }
}

impl BotError {
    pub fn user(text: impl Into<String>) -> Self {
        BotError::User(text.into())
    }

    /// The text the person sees; our own failures are logged here with their context.
    pub fn reply_text(&self, context: &str) -> String {
        match self {
            BotError::Engine(e) if e.is_user_error() => e.user_message(),
            BotError::User(text) => engine::shorten_quoted(text),
            BotError::Engine(e) => {
                error!(context, error = ?e, "internal error");
                APOLOGY.to_string()
            }
            BotError::Discord(e) => {
                error!(context, error = %e, "Discord request failed");
                APOLOGY.to_string()
            }
        }
    }
}

pub type Data = std::sync::Arc<super::bot::Bot>;
pub type Ctx<'a> = poise::ApplicationContext<'a, Data, BotError>;

/// poise's error hook: every command error ends here.
pub async fn on_error(err: poise::FrameworkError<'_, Data, BotError>) {
    match err {
        poise::FrameworkError::Command { error, ctx, .. } => {
            let text = error.reply_text(&format!("/{}", ctx.command().qualified_name));
            if let Err(e) = ctx.send(limits::reply(text)).await {
                warn!(error = %e, "could not send the error reply");
            }
        }
        poise::FrameworkError::ArgumentParse { error, ctx, .. } => {
            let text = format!("Please check the options: {error}.");
            let _ = ctx.send(limits::reply(text)).await;
        }
        // Options that do not resolve (a channel or role that does not exist) are input to fix.
        poise::FrameworkError::CommandStructureMismatch { description, ctx, .. } => {
            warn!(description, "command options did not match");
            let _ = poise::Context::Application(ctx)
                .send(limits::reply(
                    "Please check the options: one of them names nothing in this server.",
                ))
                .await;
        }
        poise::FrameworkError::MissingUserPermissions { ctx, .. } => {
            let _ = ctx
                .send(limits::reply(
                    "Only server admins and the program's coordinators can do that.",
                ))
                .await;
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            let _ = ctx.send(limits::reply("Please use this command in the server.")).await;
        }
        other => {
            // Anything else is ours to fix; the person still gets an answer.
            error!(error = %other, "command failed");
            if let Some(ctx) = other.ctx() {
                let _ = ctx.send(limits::reply(APOLOGY)).await;
            }
        }
    }
}

/// An interaction the bot answers outside poise (buttons, forms).
pub enum Answerable<'a> {
    Component(&'a ComponentInteraction),
    Modal(&'a ModalInteraction),
}

impl Answerable<'_> {
    /// Answers with an ephemeral message, as the first response or a follow-up.
    pub async fn ephemeral(&self, ctx: &Context, text: impl Into<String>) -> Result<(), serenity::Error> {
        self.ephemeral_with(ctx, text, Vec::new()).await
    }

    /// [`Answerable::ephemeral`] with buttons.
    pub async fn ephemeral_with(
        &self,
        ctx: &Context,
        text: impl Into<String>,
        rows: Vec<CreateActionRow>,
    ) -> Result<(), serenity::Error> {
        let text = text.into();
        let message = limits::response(text.clone()).components(rows.clone());
        let first = match self {
            Answerable::Component(i) => {
                i.create_response(&ctx.http, CreateInteractionResponse::Message(message))
                    .await
            }
            Answerable::Modal(i) => {
                i.create_response(&ctx.http, CreateInteractionResponse::Message(message))
                    .await
            }
        };
        if first.is_err() {
            let followup = limits::followup(text).components(rows);
            match self {
                Answerable::Component(i) => i.create_followup(&ctx.http, followup).await?,
                Answerable::Modal(i) => i.create_followup(&ctx.http, followup).await?,
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::relationship::RelationshipError;
    use crate::store::StoreError;

    #[test]
    fn our_failures_become_an_apology_and_user_errors_say_what_to_fix() {
        let internal = BotError::Engine(engine::Error::Internal(StoreError::Database(
            "connection refused at db.internal:5432 (password=hunter2)".into(),
        )));
        let text = internal.reply_text("/mentor seek");
        assert_eq!(text, APOLOGY);
        assert!(!text.contains("hunter2") && !text.contains("db.internal"));
        let user = BotError::Engine(engine::Error::Relationship(RelationshipError::NotMember));
        // The same answer as for a mentorship that does not exist.
        assert_eq!(user.reply_text("/mentorship end"), engine::NOT_YOURS);
        let missing = BotError::Engine(engine::Error::NotFound("mentorship"));
        assert_eq!(missing.reply_text("/mentorship end"), engine::NOT_YOURS);
        let invalid = BotError::Engine(engine::Error::Invalid(crate::domain::validate::ValidationError::new(
            "time zone",
            "\"Mars\" is not a known time zone.",
        )));
        assert_eq!(
            invalid.reply_text("x"),
            "Please fix the time zone: \"Mars\" is not a known time zone."
        );
    }
}
