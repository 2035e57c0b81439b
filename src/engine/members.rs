//! Who is a member of each server now. The Discord layer keeps it from the gateway's member
//! events (and from every interaction made in the server); buttons pressed in DMs and the
//! people named in invitations are checked against it, without a request to Discord each time.
use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::store::privacy::GuildMember;

/// The one answer for a button or form its presser may no longer use, whatever the reason (left
/// the server, a bot, someone else's), so it reveals nothing.
pub const NOT_FOR_YOU: &str = "this button or form is not for you (or no longer valid); run the command again";

/// Who pressed a button or sent a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presser {
    pub user: UserId,
    pub bot: bool,
}

impl Presser {
    pub fn person(user: UserId) -> Self {
        Self { user, bot: false }
    }
}

impl Engine {
    /// The person is in the server now (a member event or an interaction said so).
    pub async fn record_member(&self, guild: GuildId, member: &GuildMember) -> Result<()> {
        Ok(self.store.upsert_member(guild, member).await?)
    }

    /// The person left the server or was banned: their buttons stop working. Their open offers
    /// and requests are withdrawn, so no match is proposed to someone who is gone.
    pub async fn record_member_gone(&self, guild: GuildId, user: UserId) -> Result<()> {
        self.store.remove_member(guild, user).await?;
        let now = self.now();
        for mut offer in self.store.offers_of(guild, user).await? {
            if offer.withdraw(user, now).is_ok() {
                self.store.update_offer(&offer).await?;
            }
        }
        for mut request in self.store.requests_of(guild, user).await? {
            if request.withdraw(user, now).is_ok() {
                self.store.update_request(&request).await?;
            }
        }
        Ok(())
    }

    /// The complete member list of a server (its GUILD_CREATE, when Discord sent all of it).
    pub async fn replace_members(&self, guild: GuildId, members: &[GuildMember]) -> Result<()> {
        Ok(self.store.replace_members(guild, members).await?)
    }

    pub async fn guild_member(&self, guild: GuildId, user: UserId) -> Result<Option<GuildMember>> {
        Ok(self.store.guild_member(guild, user).await?)
    }

    /// A button or form may be used only by a person who is a member of its server now.
    pub async fn require_presser(&self, guild: GuildId, presser: Presser) -> Result<()> {
        if presser.bot {
            return Err(Error::Forbidden(NOT_FOR_YOU));
        }
        match self.store.guild_member(guild, presser.user).await? {
            Some(m) if !m.bot => Ok(()),
            _ => Err(Error::Forbidden(NOT_FOR_YOU)),
        }
    }

    /// Someone a member invites must be a person in the server now.
    pub(super) async fn require_invitable(&self, guild: GuildId, user: UserId) -> Result<()> {
        match self.store.guild_member(guild, user).await? {
            Some(m) if !m.bot => Ok(()),
            Some(_) => Err(Error::Limit(format!("<@{}> is a bot; invite a person instead", user.0))),
            None => Err(Error::Limit(format!("<@{}> is not a member of this server", user.0))),
        }
    }
}
