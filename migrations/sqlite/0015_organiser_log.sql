-- The organisers' log (issue 17): what an organiser did to which mentorship, and when. People
-- are named by id only (never a member's words); /mentor forget replaces a forgotten person's id
-- with 0.
CREATE TABLE organiser_log (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    -- UTC ms
    at               INTEGER NOT NULL,
    actor_id         INTEGER NOT NULL,
    -- pause, resume, end, nudge, pair, unplace
    action           TEXT    NOT NULL,
    relationship_id  INTEGER,
    -- the mentor and mentee (or first two members) the action was about
    mentor_id        INTEGER,
    mentee_id        INTEGER
);
CREATE INDEX organiser_log_by_relationship ON organiser_log (guild_id, relationship_id, at);
