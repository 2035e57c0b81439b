use chrono::NaiveDate;

use super::{Engine, Result};
use crate::domain::ids::*;
use crate::domain::profile::{Profile, ProfileInput};
use crate::domain::validate::ValidationError;

impl Engine {
    /// Creates or replaces the editable part of a person's profile.
    pub async fn set_profile(&self, guild: GuildId, user: UserId, input: &ProfileInput) -> Result<Profile> {
        let now = self.now();
        let profile = match self.store.profile(guild, user).await? {
            Some(mut existing) => {
                existing.update(input, now)?;
                existing
            }
            None => Profile::from_input(guild, user, input, now)?,
        };
        self.store.save_profile(&profile).await?;
        Ok(profile)
    }

    /// Turns "others may see me in /mentor suggest" on or off; false when there is no profile.
    pub async fn set_suggestable(&self, guild: GuildId, user: UserId, on: bool) -> Result<bool> {
        Ok(self.store.set_suggestable(guild, user, on).await?)
    }

    pub async fn is_suggestable(&self, guild: GuildId, user: UserId) -> Result<bool> {
        Ok(self.store.is_suggestable(guild, user).await?)
    }

    pub async fn profile(&self, guild: GuildId, user: UserId) -> Result<Option<Profile>> {
        Ok(self.store.profile(guild, user).await?)
    }

    async fn existing_profile(&self, guild: GuildId, user: UserId) -> Result<Profile> {
        self.store.profile(guild, user).await?.ok_or_else(|| {
            ValidationError::new(
                "profile",
                "you have no profile in this server yet; set one up with /mentor profile first",
            )
            .into()
        })
    }

    /// Pauses the person's participation until a date (`YYYY-MM-DD`).
    pub async fn pause_profile(&self, guild: GuildId, user: UserId, until: &str) -> Result<Profile> {
        let date = NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d").map_err(|_| {
            ValidationError::new(
                "until",
                format!("\"{}\" is not a date; write it as YYYY-MM-DD", until.trim()),
            )
        })?;
        let mut profile = self.existing_profile(guild, user).await?;
        profile.pause_until(date, self.now())?;
        self.store.save_profile(&profile).await?;
        Ok(profile)
    }

    pub async fn resume_profile(&self, guild: GuildId, user: UserId) -> Result<Profile> {
        let mut profile = self.existing_profile(guild, user).await?;
        profile.resume(self.now());
        self.store.save_profile(&profile).await?;
        Ok(profile)
    }
}
