-- Program-wide matching: each server's priority bonus, and who the last publish left unplaced
-- (they get the bonus on their pairs' scores in the next run).

CREATE TABLE matching_settings (
    guild_id       INTEGER PRIMARY KEY,
    unplaced_bonus REAL    NOT NULL DEFAULT 0.1 CHECK (unplaced_bonus >= 0 AND unplaced_bonus <= 1)
);

CREATE TABLE matching_unplaced (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    -- when the publish that left them unplaced ran (UTC ms)
    since    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
