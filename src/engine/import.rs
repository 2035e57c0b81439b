//! `/program import` (issue 17): a dry run that shows what a file would change and every bad
//! row, kept in the database until the organiser presses Apply; Apply creates or updates
//! profiles, offers and requests and tells each person changed once, by a durable job.
//!
//! Apply claims the kept dry run first (deleting it), so two presses at once, or in two
//! processes, apply it once. It compares each row with what is stored at that moment, so the
//! same file again changes nothing and tells nobody twice. The welcome jobs are queued before
//! the rows are written (a job waits for its profile); a crash part-way leaves the rest
//! unwritten, and the same file's next dry run shows exactly those rows again.
use std::collections::HashMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::hands::{HandAction, Organiser};
use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::import::{BadRow, ImportFields, ImportRole};
use crate::domain::listing::{ListingStatus, Offer, Request};
use crate::domain::profile::Profile;
use crate::store::imports::PendingImport;
use crate::store::jobs::{Job, NewJob};
use crate::store::organisers::LogEntry;

/// The job kind of the DM that tells an imported person.
pub const IMPORT_WELCOME: &str = "import_welcome";
/// How long a dry run waits for Apply.
pub const PENDING_DAYS: i64 = 7;
/// How long a welcome waits for its profile (written right after the job is queued).
const WELCOME_WAIT_MINUTES: i64 = 30;

/// A row whose person was found in the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: u64,
    pub user: UserId,
    /// Their name in the server, for a new profile.
    pub name: String,
    pub fields: ImportFields,
}

/// What a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// No profile yet: enrols the person.
    New,
    /// Changes their profile, offer or request.
    Update,
    /// Everything is as the row says.
    Same,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Update => "update",
            Change::Same => "unchanged",
        }
    }
}

/// A row and what it would change: the parts (profile, offer, request) it creates or changes.
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan {
    pub row: ImportRow,
    pub change: Change,
    pub parts: Vec<&'static str>,
}

/// A dry run: every row read, every bad row, and the id Apply takes (none when nothing changes).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    pub id: Option<i64>,
    pub rows: Vec<RowPlan>,
    pub bad: Vec<BadRow>,
}

impl ImportPlan {
    pub fn count(&self, change: Change) -> usize {
        self.rows.iter().filter(|r| r.change == change).count()
    }
}

/// What Apply did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The DM an imported person gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    pub guild: GuildId,
    pub user: UserId,
    /// The organiser who applied the import.
    pub by: UserId,
    pub role: ImportRole,
    /// Enrolled now (true) or their enrolment was changed.
    pub new: bool,
}

/// What one row finds stored, and what it would write.
struct Diff {
    change: Change,
    parts: Vec<&'static str>,
    profile: Option<Profile>,
    offer: Option<Offer>,
    request: Option<Request>,
}

impl Engine {
    async fn require_import(&self, guild: GuildId, who: Organiser<'_>) -> Result<()> {
        self.require_organiser(
            guild,
            who.is_admin,
            who.roles,
            "only server admins and the program's coordinators can import people",
        )
        .await
    }

    /// Checked before the file is even downloaded.
    pub async fn may_import(&self, guild: GuildId, who: Organiser<'_>) -> Result<()> {
        self.require_import(guild, who).await
    }

    /// Compares one row with what is stored: what it would write, nothing written.
    async fn diff(&self, guild: GuildId, row: &ImportRow) -> Result<Diff> {
        let now = self.now();
        let existing = self.store.profile(guild, row.user).await?;
        let input = row.fields.profile_input(existing.as_ref(), &row.name);
        let mut parts = Vec::new();
        let profile = match &existing {
            None => {
                parts.push("profile");
                Some(Profile::from_input(guild, row.user, &input, now)?)
            }
            Some(p) => {
                let mut changed = p.clone();
                changed.update(&input, now)?;
                let differs = changed.timezone != p.timezone || changed.availability != p.availability;
                if differs {
                    parts.push("profile");
                }
                differs.then_some(changed)
            }
        };
        let offer = match row.fields.offer_input() {
            None => None,
            Some(input) => {
                let wanted = Offer::new(guild, row.user, &input, now)?;
                let open: Vec<Offer> = self
                    .store
                    .offers_of(guild, row.user)
                    .await?
                    .into_iter()
                    .filter(|o| o.status == ListingStatus::Open)
                    .collect();
                let same = |o: &Offer| {
                    o.purpose == wanted.purpose
                        && o.topics == wanted.topics
                        && o.skills == wanted.skills
                        && o.capacity == wanted.capacity
                };
                if open.iter().any(same) {
                    None
                } else {
                    parts.push("offer");
                    // The newest open offer takes the new terms; else a new one.
                    Some(match open.last() {
                        Some(o) => Offer {
                            purpose: wanted.purpose,
                            topics: wanted.topics,
                            skills: wanted.skills,
                            capacity: wanted.capacity,
                            ..o.clone()
                        },
                        None => wanted,
                    })
                }
            }
        };
        let request = match row.fields.request_input() {
            None => None,
            Some(input) => {
                let wanted = Request::new(guild, row.user, &input, now)?;
                let open: Vec<Request> = self
                    .store
                    .requests_of(guild, row.user)
                    .await?
                    .into_iter()
                    .filter(|r| r.status == ListingStatus::Open)
                    .collect();
                if open
                    .iter()
                    .any(|r| r.purpose == wanted.purpose && r.goals == wanted.goals)
                {
                    None
                } else {
                    parts.push("request");
                    Some(match open.last() {
                        Some(r) => Request {
                            purpose: wanted.purpose,
                            goals: wanted.goals,
                            ..r.clone()
                        },
                        None => wanted,
                    })
                }
            }
        };
        let change = if existing.is_none() {
            Change::New
        } else if parts.is_empty() {
            Change::Same
        } else {
            Change::Update
        };
        Ok(Diff {
            change,
            parts,
            profile,
            offer,
            request,
        })
    }

    /// The dry run: `rows` are the file's rows whose people were found, `bad` the others. A
    /// person named twice makes the later row bad. Keeps the rows that change something for
    /// Apply; writes nothing else.
    pub async fn plan_import(
        &self,
        guild: GuildId,
        who: Organiser<'_>,
        rows: Vec<ImportRow>,
        mut bad: Vec<BadRow>,
    ) -> Result<ImportPlan> {
        self.require_import(guild, who).await?;
        let mut first: HashMap<UserId, u64> = HashMap::new();
        let mut plans = Vec::new();
        for row in rows {
            if let Some(line) = first.get(&row.user) {
                bad.push(BadRow {
                    line: row.line,
                    reason: format!("user: the same person as on line {line}; one row per person"),
                });
                continue;
            }
            first.insert(row.user, row.line);
            let diff = self.diff(guild, &row).await?;
            plans.push(RowPlan {
                row,
                change: diff.change,
                parts: diff.parts,
            });
        }
        bad.sort_by_key(|b| b.line);
        let now = self.now();
        self.store
            .purge_pending_imports(guild, now - Duration::days(PENDING_DAYS))
            .await?;
        let changing: Vec<&ImportRow> = plans
            .iter()
            .filter(|p| p.change != Change::Same)
            .map(|p| &p.row)
            .collect();
        let id = if changing.is_empty() {
            None
        } else {
            let users: Vec<UserId> = changing.iter().map(|r| r.user).collect();
            let pending = PendingImport {
                id: 0,
                guild,
                organiser: who.user,
                created_at: now,
                plan: serde_json::to_string(&changing)
                    .map_err(|e| Error::Internal(crate::store::StoreError::Database(Box::new(e))))?,
            };
            Some(self.store.save_pending_import(&pending, &users).await?)
        };
        Ok(ImportPlan { id, rows: plans, bad })
    }

    /// Apply: writes what the kept dry run would change now, and queues one welcome per person
    /// it enrolled or changed.
    pub async fn apply_import(&self, guild: GuildId, who: Organiser<'_>, id: i64) -> Result<Applied> {
        self.require_import(guild, who).await?;
        let now = self.now();
        let pending = self
            .store
            .pending_import(guild, id)
            .await?
            .filter(|p| p.created_at > now - Duration::days(PENDING_DAYS))
            .ok_or_else(|| {
                Error::Limit(
                    "this import was applied already or is older than a week; run /program import again to see \
                     what a file would change"
                        .into(),
                )
            })?;
        if !self.store.delete_pending_import(guild, id).await? {
            // Another press took it a moment ago.
            return Err(Error::Limit(
                "this import was applied already; run /program import again to see what a file would change".into(),
            ));
        }
        let rows: Vec<ImportRow> = serde_json::from_str(&pending.plan)
            .map_err(|e| Error::Internal(crate::store::StoreError::Database(Box::new(e))))?;
        let mut applied = Applied::default();
        let mut diffs = Vec::with_capacity(rows.len());
        for row in &rows {
            diffs.push(self.diff(guild, row).await?);
        }
        // The welcomes first (see the module's note), one per person and import.
        let jobs: Vec<NewJob> = rows
            .iter()
            .zip(&diffs)
            .filter(|(_, d)| d.change != Change::Same)
            .map(|(row, d)| NewJob {
                guild,
                relationship: None,
                kind: IMPORT_WELCOME.to_string(),
                dedupe_key: format!("import-welcome:g{}:i{id}:u{}", guild.0, row.user.0),
                payload: json!({
                    "user": row.user.0.to_string(),
                    "by": who.user.0.to_string(),
                    "role": row.fields.role,
                    "new": d.change == Change::New,
                }),
                run_at: now,
            })
            .collect();
        self.store.enqueue_many(&jobs, now).await?;
        for diff in diffs {
            match diff.change {
                Change::New => applied.created += 1,
                Change::Update => applied.updated += 1,
                Change::Same => {
                    applied.unchanged += 1;
                    continue;
                }
            }
            if let Some(p) = &diff.profile {
                self.store.save_profile(p).await?;
            }
            if let Some(o) = &diff.offer {
                if o.id.0 == 0 {
                    self.store.insert_offer(o).await?;
                } else {
                    self.store.update_offer_terms(o).await?;
                }
            }
            if let Some(r) = &diff.request {
                if r.id.0 == 0 {
                    self.store.insert_request(r).await?;
                } else {
                    self.store.update_request_terms(r).await?;
                }
            }
        }
        self.store
            .log_organiser_action(&LogEntry {
                guild,
                at: now,
                actor: who.user,
                action: HandAction::Import.as_str().to_string(),
                relationship: None,
                mentor: None,
                mentee: None,
            })
            .await?;
        Ok(applied)
    }

    /// The welcome a due [`IMPORT_WELCOME`] job sends; `None` when the person is gone (forgot
    /// themselves). `Conflict` (a retry) while the import has not written their profile yet.
    pub async fn due_import_welcome(&self, job: &Job) -> Result<Option<Welcome>> {
        let id = |k: &str| {
            job.payload
                .get(k)
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<u64>().ok())
                .map(UserId)
        };
        let (Some(user), Some(by)) = (id("user"), id("by")) else {
            return Ok(None);
        };
        let Ok(role) = serde_json::from_value::<ImportRole>(job.payload["role"].clone()) else {
            return Ok(None);
        };
        if self.store.profile(job.guild, user).await?.is_none() {
            return if self.now() - job.created_at < Duration::minutes(WELCOME_WAIT_MINUTES) {
                Err(Error::Conflict)
            } else {
                Ok(None)
            };
        }
        Ok(Some(Welcome {
            guild: job.guild,
            user,
            by,
            role,
            new: job.payload["new"].as_bool().unwrap_or(true),
        }))
    }

    /// The welcome's buttons: may others see this person in `/mentor suggest`? Only the person
    /// themselves may answer.
    pub async fn answer_import_suggest(&self, guild: GuildId, presser: UserId, user: UserId, on: bool) -> Result<bool> {
        if presser != user {
            return Err(Error::Forbidden(super::members::NOT_FOR_YOU));
        }
        if !self.store.set_suggestable(guild, user, on).await? {
            return Err(Error::Limit(
                "you have no profile in this server any more; set one up with /mentor profile".into(),
            ));
        }
        Ok(on)
    }
}
