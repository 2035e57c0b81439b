-- What the Discord front end keeps: each server's program settings, and the private thread
-- each relationship gets.

CREATE TABLE program_settings (
    guild_id             INTEGER PRIMARY KEY,
    -- the channel under which each pair gets a private thread
    channel_id           INTEGER,
    coordinator_role_id  INTEGER,
    -- minutes before a check-in at which reminders go out, as a JSON array
    reminder_leads       TEXT    NOT NULL DEFAULT '[1440, 60]',
    proposal_expiry_days INTEGER NOT NULL DEFAULT 7 CHECK (proposal_expiry_days BETWEEN 1 AND 60)
);

CREATE TABLE relationship_threads (
    relationship_id INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);
