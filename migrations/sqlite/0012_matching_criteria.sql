-- Chemistry and formal criteria (issue 13): the server's levels (lowest first), each member's
-- profession, organisational unit and level, a request's wish about the mentor's profession,
-- the organisers' matching questions and the members' answers. Removed questions keep their
-- row (removed_at set) and their answers; they only stop counting in matching.

CREATE TABLE criteria_settings (
    guild_id  INTEGER PRIMARY KEY,
    -- JSON list of level names, lowest first; NULL: no levels defined
    levels    TEXT
);

CREATE TABLE member_criteria (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    profession  TEXT,
    unit        TEXT,
    level       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE request_criteria (
    request_id       INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    profession_wish  TEXT    NOT NULL CHECK (profession_wish IN ('same', 'other', 'either')),
    FOREIGN KEY (request_id, guild_id) REFERENCES requests (id, guild_id) ON DELETE CASCADE
);

CREATE TABLE matching_questions (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    -- JSON list of the choices
    choices     TEXT    NOT NULL,
    multiple    INTEGER NOT NULL,
    rule        TEXT    NOT NULL CHECK (rule IN ('same', 'different', 'mentor-above', 'complementary')),
    -- JSON list of [a, b] choice indices (complementary only)
    pairs       TEXT    NOT NULL,
    weight      REAL    NOT NULL CHECK (weight >= 0 AND weight <= 10),
    phrase      TEXT,
    preset      TEXT,
    created_at  INTEGER NOT NULL,
    removed_at  INTEGER,
    UNIQUE (id, guild_id)
);
CREATE INDEX matching_questions_by_guild ON matching_questions (guild_id, removed_at);

CREATE TABLE question_answers (
    question_id  INTEGER NOT NULL,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    -- JSON list of choice indices
    choices      TEXT    NOT NULL,
    answered_at  INTEGER NOT NULL,
    PRIMARY KEY (question_id, user_id),
    FOREIGN KEY (question_id, guild_id) REFERENCES matching_questions (id, guild_id)
);
CREATE INDEX question_answers_by_user ON question_answers (guild_id, user_id);
