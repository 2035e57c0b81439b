-- The bot's live processes, each renewing its row with a lease on the database's clock; each
-- takes an equal share of Discord's global rate limit (which holds for the bot as a whole), so
-- the shares are recomputed when a process comes or its lease runs out. lease_until is UTC
-- milliseconds since the Unix epoch.
CREATE TABLE bot_processes (
    owner        TEXT   PRIMARY KEY,
    lease_until  BIGINT NOT NULL
);
