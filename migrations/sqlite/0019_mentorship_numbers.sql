-- Per-server mentorship numbers (issue 16, item 8): people see and type "mentorship #3", counting
-- from 1 within their server, not the database id that counts across all servers. A number is
-- handed out by the guild's counter row in the transaction that inserts the mentorship (the row
-- lock serialises two bot processes), so numbers are never reused, even after a mentorship is
-- deleted by /mentor forget.
CREATE TABLE relationship_counters (
    guild_id    INTEGER NOT NULL PRIMARY KEY,
    last_number INTEGER NOT NULL
);

ALTER TABLE relationships ADD COLUMN number INTEGER NOT NULL DEFAULT 0;

-- Existing mentorships get their numbers in the order they were created, per server.
UPDATE relationships SET number = (
    SELECT COUNT(*) FROM relationships r
    WHERE r.guild_id = relationships.guild_id AND r.id <= relationships.id
);

INSERT INTO relationship_counters (guild_id, last_number)
SELECT guild_id, MAX(number) FROM relationships GROUP BY guild_id;

CREATE UNIQUE INDEX relationships_number ON relationships (guild_id, number);
