-- The process guide and evaluation (issue 13): the organisers' resources per phase (removed ones
-- keep their row), the members the bot has welcomed once per server, and each member's private
-- answers about a mentorship (the midpoint fit check, the retrospective's rating). Organisers
-- only ever read counts of the answers.

CREATE TABLE program_resources (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    phase       TEXT    NOT NULL CHECK (phase IN ('purpose', 'find', 'scope', 'implement', 'end')),
    title       TEXT    NOT NULL,
    -- an http(s) link or a short text
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    removed_at  INTEGER
);
CREATE INDEX program_resources_by_guild ON program_resources (guild_id, removed_at);

CREATE TABLE member_welcomes (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    welcomed_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE evaluations (
    guild_id         INTEGER NOT NULL,
    relationship_id  INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    fit              TEXT CHECK (fit IN ('yes', 'partly', 'no')),
    value            INTEGER CHECK (value BETWEEN 1 AND 5),
    again            INTEGER,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (relationship_id, user_id)
);
CREATE INDEX evaluations_by_guild ON evaluations (guild_id);
