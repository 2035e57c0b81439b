//! The process guide in Discord (issue 13): `/mentor guide [phase]` for everyone, `/program
//! resources add|remove|list` for organisers, and the one-time welcome after a member's first
//! command in a server.
use tracing::warn;

use super::{caller, caller_rights, guild, say};
use crate::discord::limits::{self, MESSAGE_MAX};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::guide::{overview, phase_text, Phase, Resource, MAX_RESOURCES};
use crate::domain::relationship::Role;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PhaseChoice {
    #[name = "purpose"]
    Purpose,
    #[name = "find"]
    Find,
    #[name = "scope"]
    Scope,
    #[name = "implement"]
    Implement,
    #[name = "end"]
    End,
}

impl From<PhaseChoice> for Phase {
    fn from(p: PhaseChoice) -> Phase {
        match p {
            PhaseChoice::Purpose => Phase::Purpose,
            PhaseChoice::Find => Phase::Find,
            PhaseChoice::Scope => Phase::Scope,
            PhaseChoice::Implement => Phase::Implement,
            PhaseChoice::End => Phase::End,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RoleChoice {
    #[name = "mentor"]
    Mentor,
    #[name = "mentee"]
    Mentee,
}

/// The mentorship guide: the five phases, what to do and what to ask yourself in each.
#[poise::command(slash_command, guild_only)]
pub async fn guide(
    ctx: Ctx<'_>,
    #[description = "One phase in detail (without it: the overview)"] phase: Option<PhaseChoice>,
    #[description = "Only your role's part (without it: both)"] role: Option<RoleChoice>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let Some(phase) = phase.map(Phase::from) else {
        return say(ctx, overview()).await;
    };
    let role = role.map(|r| match r {
        RoleChoice::Mentor => Role::Mentor,
        RoleChoice::Mentee => Role::Mentee,
    });
    let resources = ctx.data().engine.resources_for(g, phase).await?;
    say(ctx, phase_text(phase, role)).await?;
    // The program's own resources follow, as many messages as they need.
    if !resources.is_empty() {
        let lines: Vec<String> = resources.iter().map(Resource::line).collect();
        let head = format!("**Your program's resources for phase {}:**", phase.number());
        for page in limits::paginate(&head, &lines, MESSAGE_MAX) {
            say(ctx, page).await?;
        }
    }
    Ok(())
}

/// The program's resources per phase, shown in the guide and the phases' messages.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("add", "remove", "list")
)]
pub async fn resources(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Add a resource for a phase: a title and a web link or a short text.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn add(
    ctx: Ctx<'_>,
    #[description = "The phase it helps with"] phase: PhaseChoice,
    #[description = "Its title (at most 80 characters)"] title: String,
    #[description = "A web link, http:// or https://"] link: Option<String>,
    #[description = "Or a short text (at most 300 characters)"] text: Option<String>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    // Discord hides the command from others, but that is advice to clients: the engine checks.
    let (is_admin, roles) = caller_rights(ctx);
    let phase = Phase::from(phase);
    let r = ctx
        .data()
        .engine
        .add_resource(g, is_admin, &roles, phase, &title, link.as_deref(), text.as_deref())
        .await?;
    say(
        ctx,
        format!(
            "Added resource #{} to {phase}; `/mentor guide phase:{}` and the phase's messages show it.\n{}",
            r.id,
            phase.as_str(),
            r.line()
        ),
    )
    .await
}

/// Remove a resource: it leaves the guide and future messages; earlier messages keep it.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn remove(
    ctx: Ctx<'_>,
    #[description = "The resource's number (see /program resources list)"] id: i64,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    ctx.data().engine.remove_resource(g, is_admin, &roles, id).await?;
    say(
        ctx,
        format!("Removed resource #{id}. Messages already sent keep what they said."),
    )
    .await
}

/// The program's resources, by phase.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn list(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    let all = ctx.data().engine.list_resources(g, is_admin, &roles).await?;
    if all.is_empty() {
        return say(
            ctx,
            "No resources yet. Add one with `/program resources add phase:<phase> title:<title> link:<https://...>`.",
        )
        .await;
    }
    let lines: Vec<String> = all
        .iter()
        .map(|r| format!("#{} ({}) {}", r.id, r.phase.as_str(), r.line().trim_start_matches("- ")))
        .collect();
    let head = format!(
        "**The program's resources** ({} of at most {MAX_RESOURCES}):",
        all.len()
    );
    for page in limits::paginate(&head, &lines, MESSAGE_MAX) {
        say(ctx, page).await?;
    }
    Ok(())
}

/// After a member's first command in a server: the guide's overview, once, only to them. Not
/// after a form (Discord takes no other answer to it; the next command shows it), and not after
/// `/mentor guide`, which shows the guide itself.
pub async fn welcome(ctx: Ctx<'_>, form_opened: bool) {
    let Ok(g) = guild(ctx) else { return };
    if form_opened {
        return;
    }
    let engine = &ctx.data().engine;
    let me = caller(ctx);
    let first = match engine.first_use(g, me).await {
        Ok(first) => first,
        Err(e) => {
            warn!(error = %e, "could not read whether the member was welcomed");
            return;
        }
    };
    if !first || ctx.command().qualified_name == "mentor guide" {
        return;
    }
    let text = format!("{}\n\n(This welcome shows once.)", overview());
    if let Err(e) = ctx.send(limits::reply(text)).await {
        warn!(error = %e, "could not welcome a new member");
        if let Err(e) = engine.welcome_not_shown(g, me).await {
            warn!(error = %e, "could not take the welcome back");
        }
    }
}
