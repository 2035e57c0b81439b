use std::fmt::Write;

use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::journal::JournalEntry;
use crate::domain::relationship::RelationshipError;
use crate::domain::retrospective::{Retrospective, RetrospectiveInput};

impl Engine {
    /// A member writes a reflection into their private journal.
    pub async fn write_journal(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        checkin: Option<CheckinId>,
        answers: &[(String, String)],
    ) -> Result<JournalEntry> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        relationship.require_joined(actor)?;
        if let Some(c) = checkin {
            let found = self.store.checkin(guild, c).await?;
            if found.is_none_or(|c| c.relationship != rel) {
                return Err(Error::NotFound("check-in"));
            }
        }
        let mut entry = JournalEntry::write(&relationship, actor, checkin, answers, self.now())?;
        entry.id = self.store.insert_journal_entry(&entry).await?;
        Ok(entry)
    }

    /// The author shares an entry with the relationship's members, or takes it back.
    pub async fn share_journal(
        &self,
        guild: GuildId,
        id: JournalEntryId,
        actor: UserId,
        shared: bool,
    ) -> Result<JournalEntry> {
        let mut entry = self
            .store
            .journal_entry(guild, id)
            .await?
            .ok_or(Error::NotFound("journal entry"))?;
        if entry.author != actor {
            // Someone else's entry does not exist for the caller.
            return Err(Error::NotFound("journal entry"));
        }
        entry.set_shared(actor, shared)?;
        self.store.update_journal_entry(&entry).await?;
        Ok(entry)
    }

    /// What the viewer may read: their own entries, and with a relationship given, the entries
    /// its other members shared.
    pub async fn journal(
        &self,
        guild: GuildId,
        viewer: UserId,
        rel: Option<RelationshipId>,
    ) -> Result<Vec<JournalEntry>> {
        let mut entries = self.store.journal_of(guild, viewer, rel).await?;
        if let Some(rel) = rel {
            let relationship = self.relationship_for(guild, rel, viewer).await?;
            let shared = self.store.shared_journal(guild, rel).await?;
            entries.extend(
                shared
                    .into_iter()
                    .filter(|e| e.author != viewer && e.visible_to(viewer, &relationship)),
            );
            entries.sort_by_key(|e| (e.created_at, e.id));
        }
        Ok(entries)
    }

    /// The viewer's own journal in this server as Markdown.
    pub async fn export_journal(&self, guild: GuildId, viewer: UserId) -> Result<String> {
        let entries = self.store.journal_of(guild, viewer, None).await?;
        // A file shows no Discord timestamps: its times are in the person's own zone.
        let zone = self.own_zone(guild, viewer, chrono_tz::UTC).await?;
        let numbers = self.mentorship_numbers(guild, viewer).await?;
        let mut out = String::from("# My mentorship journal\n");
        for e in &entries {
            let _ = write!(
                out,
                "\n## {} {} (mentorship #{})\n",
                e.created_at.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
                zone.name(),
                numbers.get(&e.relationship).copied().unwrap_or_default()
            );
            for a in &e.answers {
                let _ = write!(out, "\n**{}**\n\n{}\n", a.question, a.answer);
            }
        }
        if entries.is_empty() {
            out.push_str("\nNo entries yet.\n");
        }
        Ok(out)
    }

    /// A member's retrospective after the end; one each.
    pub async fn write_retrospective(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        input: &RetrospectiveInput,
    ) -> Result<Retrospective> {
        let relationship = self.relationship_for(guild, rel, actor).await?;
        let written = self
            .store
            .retrospectives(guild, rel)
            .await?
            .iter()
            .any(|r| r.author == actor);
        let retro = Retrospective::write(&relationship, actor, written, input, self.now())?;
        match self.store.insert_retrospective(&retro).await {
            Ok(()) => {
                self.after_retrospective(guild, &relationship).await?;
                Ok(retro)
            }
            Err(crate::store::StoreError::AlreadyExists) => Err(Error::Relationship(RelationshipError::Invalid(
                crate::domain::validate::ValidationError::new(
                    "retrospective",
                    "you already wrote your retrospective for this mentorship",
                ),
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The author's answer to "celebrate it in the program channel?" (Yes / No buttons after the
    /// retrospective, issue 16 item 13). The post goes out once everyone said yes; a later no
    /// keeps it from going out (it is checked again when due).
    pub async fn answer_celebration(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        actor: UserId,
        yes: bool,
    ) -> Result<()> {
        let relationship = self.joined_relationship(guild, rel, actor).await?;
        if !self.store.set_celebrate_publicly(guild, rel, actor, yes).await? {
            return Err(crate::domain::validate::ValidationError::new(
                "retrospective",
                "write yours first (the Write my retrospective button of the end message)",
            )
            .into());
        }
        if yes {
            self.after_retrospective(guild, &relationship).await?;
        }
        Ok(())
    }

    /// The viewer's own retrospective, if written.
    pub async fn my_retrospective(
        &self,
        guild: GuildId,
        rel: RelationshipId,
        viewer: UserId,
    ) -> Result<Option<Retrospective>> {
        self.relationship_for(guild, rel, viewer).await?;
        Ok(self
            .store
            .retrospectives(guild, rel)
            .await?
            .into_iter()
            .find(|r| r.author == viewer))
    }
}
