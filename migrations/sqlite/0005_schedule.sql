-- The schedule (issue 5). Check-ins the bot plans from an agreement are marked as such, so a
-- change of plan replaces only those, and planning the same occurrence twice keeps one row.
ALTER TABLE checkins ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'
    CHECK (source IN ('manual', 'schedule', 'moved'));
CREATE UNIQUE INDEX checkins_one_per_occurrence ON checkins (relationship_id, scheduled_at) WHERE source = 'schedule';

-- What the schedule of a relationship was planned from: the agreement version in force and the
-- instant planning (re)started. A different version, or none after a pause, means: plan again.
CREATE TABLE schedules (
    relationship_id   INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    agreement_version INTEGER NOT NULL,
    planned_from      INTEGER NOT NULL,
    -- the last occurrence planned so far (planning rolls forward from here)
    planned_until     INTEGER,
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);
