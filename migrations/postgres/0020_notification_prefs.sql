-- A person's notification preferences in one server (issue 16, item 13): the kinds of message
-- they muted (a JSON list of names) and their own reminder lead times before a check-in (a JSON
-- list of minutes; NULL: the program's). /mentor forget deletes the row.
CREATE TABLE notification_prefs (
    guild_id        BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    muted           TEXT   NOT NULL,
    reminder_leads  TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
