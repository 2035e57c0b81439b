//! Who is a member of each server, from the gateway's events (GUILD_MEMBERS intent), kept in the
//! database so that buttons pressed in DMs can be checked without a request to Discord per press.
//! GUILD_CREATE lists every member of a server that is not "large"; a large one is asked for its
//! members in chunks. Additions, updates and chunks add or update; removals and bans remove.
use serenity::all::{
    ChunkGuildFilter, Context, Guild, GuildId as SGuildId, GuildMemberUpdateEvent, GuildMembersChunkEvent, Member,
};
use tracing::warn;

use super::bot::Bot;
use crate::domain::ids::{GuildId, UserId};
use crate::store::privacy::GuildMember;

fn record(m: &Member) -> GuildMember {
    GuildMember {
        user: UserId(m.user.id.get()),
        bot: m.user.bot,
        roles: m.roles.iter().map(|r| r.get()).collect(),
    }
}

/// A member joined (or was seen).
pub async fn seen(bot: &Bot, guild: SGuildId, member: &Member) {
    if let Err(e) = bot.engine.record_member(GuildId(guild.get()), &record(member)).await {
        warn!(error = %e, "could not record a member");
    }
}

/// A member's roles (or name) changed.
pub async fn updated(bot: &Bot, event: &GuildMemberUpdateEvent) {
    let member = GuildMember {
        user: UserId(event.user.id.get()),
        bot: event.user.bot,
        roles: event.roles.iter().map(|r| r.get()).collect(),
    };
    if let Err(e) = bot.engine.record_member(GuildId(event.guild_id.get()), &member).await {
        warn!(error = %e, "could not record a member");
    }
}

pub async fn chunk(bot: &Bot, chunk: &GuildMembersChunkEvent) {
    for m in chunk.members.values() {
        seen(bot, chunk.guild_id, m).await;
    }
}

/// The server as the gateway sends it on connecting: its complete member list unless it is
/// large, in which case its members are asked for.
pub async fn guild_created(ctx: &Context, bot: &Bot, guild: &Guild) {
    let members: Vec<GuildMember> = guild.members.values().map(record).collect();
    let result = if guild.large {
        for m in &members {
            if let Err(e) = bot.engine.record_member(GuildId(guild.id.get()), m).await {
                warn!(error = %e, "could not record a member");
            }
        }
        ctx.shard
            .chunk_guild(guild.id, None, false, ChunkGuildFilter::None, None);
        Ok(())
    } else {
        bot.engine.replace_members(GuildId(guild.id.get()), &members).await
    };
    if let Err(e) = result {
        warn!(error = %e, "could not record the server's members");
    }
}
