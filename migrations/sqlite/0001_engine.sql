-- The mentorship engine. Times are UTC milliseconds since the Unix epoch; dates are
-- 'YYYY-MM-DD' text; lists are JSON arrays. Every row carries its server (guild_id), and
-- child rows reference their parent together with the guild, so no row can cross servers.

CREATE TABLE profiles (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    display_name      TEXT    NOT NULL,
    timezone          TEXT    NOT NULL,
    availability      TEXT    NOT NULL,
    methods           TEXT    NOT NULL,
    role              TEXT,
    experience        TEXT,
    mentoring_styles  TEXT    NOT NULL,
    learning_styles   TEXT    NOT NULL,
    paused_until      TEXT,
    dm_reachable      INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE offers (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    purpose         TEXT    NOT NULL,
    topics          TEXT    NOT NULL,
    skills          TEXT    NOT NULL,
    kinds           TEXT    NOT NULL,
    capacity        INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10),
    hopes_to_learn  TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'withdrawn')),
    created_at      INTEGER NOT NULL,
    withdrawn_at    INTEGER,
    UNIQUE (id, guild_id)
);
CREATE INDEX offers_by_user ON offers (guild_id, user_id);
CREATE INDEX offers_open ON offers (guild_id, status);

CREATE TABLE requests (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    purpose       TEXT    NOT NULL,
    goals         TEXT    NOT NULL,
    kinds         TEXT    NOT NULL,
    styles        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'withdrawn')),
    created_at    INTEGER NOT NULL,
    withdrawn_at  INTEGER,
    UNIQUE (id, guild_id)
);
CREATE INDEX requests_by_user ON requests (guild_id, user_id);
CREATE INDEX requests_open ON requests (guild_id, status);

CREATE TABLE relationships (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('classic', 'reverse', 'peer')),
    origin      TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('proposed', 'accepted', 'declined', 'expired', 'agreeing', 'active', 'paused', 'ended')),
    proposer_id INTEGER NOT NULL,
    -- the two people of a pair, lowest id first; NULL for a peer group
    pair_low    INTEGER,
    pair_high   INTEGER,
    offer_id    INTEGER,
    request_id  INTEGER,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    end_reason  TEXT,
    ended_by    INTEGER,
    revision    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (id, guild_id),
    CHECK (pair_low IS NULL OR pair_low < pair_high),
    FOREIGN KEY (offer_id, guild_id) REFERENCES offers (id, guild_id),
    FOREIGN KEY (request_id, guild_id) REFERENCES requests (id, guild_id)
);
-- One live relationship per pair and kind, whatever the code does.
CREATE UNIQUE INDEX relationships_one_live_pair ON relationships (guild_id, kind, pair_low, pair_high)
    WHERE pair_low IS NOT NULL AND state IN ('proposed', 'accepted', 'agreeing', 'active', 'paused');
CREATE INDEX relationships_due ON relationships (state, expires_at);
CREATE INDEX relationships_by_offer ON relationships (offer_id, state);
CREATE INDEX relationships_by_request ON relationships (request_id, state);

CREATE TABLE relationship_members (
    relationship_id INTEGER NOT NULL,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('mentor', 'mentee', 'peer')),
    status          TEXT    NOT NULL CHECK (status IN ('invited', 'joined', 'declined')),
    responded_at    INTEGER,
    PRIMARY KEY (relationship_id, user_id),
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);
CREATE INDEX members_by_user ON relationship_members (guild_id, user_id);

CREATE TABLE agreements (
    relationship_id INTEGER NOT NULL,
    guild_id        INTEGER NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    author_id       INTEGER NOT NULL,
    terms           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (relationship_id, version),
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);

CREATE TABLE agreement_confirmations (
    relationship_id INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    confirmed_at    INTEGER NOT NULL,
    PRIMARY KEY (relationship_id, version, user_id),
    FOREIGN KEY (relationship_id, version) REFERENCES agreements (relationship_id, version) ON DELETE CASCADE,
    FOREIGN KEY (relationship_id, user_id) REFERENCES relationship_members (relationship_id, user_id) ON DELETE CASCADE
);

CREATE TABLE goals (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    relationship_id INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (id, guild_id),
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);
CREATE INDEX goals_by_relationship ON goals (relationship_id);

CREATE TABLE steps (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    goal_id     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    owner_id    INTEGER,
    due         TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    updated_at  INTEGER NOT NULL,
    FOREIGN KEY (goal_id, guild_id) REFERENCES goals (id, guild_id) ON DELETE CASCADE
);
CREATE INDEX steps_by_goal ON steps (goal_id);

CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    relationship_id INTEGER NOT NULL,
    scheduled_at    INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('planned', 'held', 'rescheduled', 'skipped', 'missed')),
    reported_by     INTEGER,
    reported_at     INTEGER,
    note            TEXT,
    UNIQUE (id, guild_id),
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE
);
CREATE INDEX checkins_by_relationship ON checkins (relationship_id, scheduled_at);

CREATE TABLE journal_entries (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    relationship_id INTEGER NOT NULL,
    author_id       INTEGER NOT NULL,
    checkin_id      INTEGER,
    answers         TEXT    NOT NULL,
    shared          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE,
    FOREIGN KEY (checkin_id, guild_id) REFERENCES checkins (id, guild_id),
    FOREIGN KEY (relationship_id, author_id) REFERENCES relationship_members (relationship_id, user_id)
);
CREATE INDEX journal_by_author ON journal_entries (guild_id, author_id, created_at);
CREATE INDEX journal_by_relationship ON journal_entries (relationship_id, created_at);

CREATE TABLE retrospectives (
    relationship_id     INTEGER NOT NULL,
    guild_id            INTEGER NOT NULL,
    author_id           INTEGER NOT NULL,
    learned             TEXT    NOT NULL,
    differently         TEXT,
    celebrate           TEXT,
    celebrate_publicly  INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (relationship_id, author_id),
    FOREIGN KEY (relationship_id, guild_id) REFERENCES relationships (id, guild_id) ON DELETE CASCADE,
    FOREIGN KEY (relationship_id, author_id) REFERENCES relationship_members (relationship_id, user_id)
);
