-- Privacy and safety (issue 12).
--
-- Who is a member of each server right now, as the gateway's member events tell it (and every
-- interaction made in the server): buttons pressed in DMs are checked against it, without a
-- request to Discord per press. A row goes when the person leaves or is banned.
CREATE TABLE guild_members (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    is_bot    INTEGER NOT NULL DEFAULT 0,
    -- the member's role ids, as a JSON array (the coordinators are read from it)
    roles     TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (guild_id, user_id)
);

-- The organisers' own channel, and each server's limits on invitations and agreement versions
-- (NULL: the default the code names).
ALTER TABLE program_settings ADD COLUMN coordinator_channel_id INTEGER;
ALTER TABLE program_settings ADD COLUMN invitation_limit INTEGER;
ALTER TABLE program_settings ADD COLUMN decline_cooldown_days INTEGER;
ALTER TABLE program_settings ADD COLUMN agreement_versions_per_day INTEGER;

-- Whether other members may see the person in /mentor suggest; off until they turn it on.
ALTER TABLE profiles ADD COLUMN suggestable INTEGER NOT NULL DEFAULT 0;

-- Who wrote a step (forgetting someone removes their words). Steps written before this
-- migration are credited to their goal's author.
ALTER TABLE steps ADD COLUMN created_by INTEGER;
UPDATE steps SET created_by = (SELECT g.created_by FROM goals g WHERE g.id = steps.goal_id);

-- A slash command's options kept while its form is open (the form's custom id names the row):
-- a restart loses nothing, only the owner can use it, and old ones expire.
CREATE TABLE drafts (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    draft       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX drafts_by_user ON drafts (guild_id, user_id, created_at);
CREATE INDEX drafts_by_age ON drafts (created_at);

-- The people /mentor suggest showed someone, so its buttons act only on those.
CREATE TABLE suggestions (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    other_id  INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    shown_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, other_id, kind)
);
