-- /program import (issue 17): the rows a dry run checked, waiting for the organiser's Apply, so
-- the button works after a restart. plan is JSON: the user id and the values of each good row
-- (the organiser's file, checked). /mentor forget removes every pending import naming the
-- person. created_at is UTC milliseconds since the Unix epoch.
CREATE TABLE pending_imports (
    -- never reused: an old Apply button must not apply a later dry run
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id      INTEGER NOT NULL,
    organiser_id  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    plan          TEXT    NOT NULL,
    -- every user id the rows name, space-separated with a space at both ends, for forgetting
    users         TEXT    NOT NULL
);
CREATE INDEX pending_imports_by_guild ON pending_imports (guild_id, created_at);
