-- Each person's DM channel with the bot, so a DM costs one request (the message) rather than
-- two (open the channel, then the message), also after a restart. A DM channel belongs to the
-- person, not to a server, so it is keyed by the user alone.

CREATE TABLE dm_channels (
    user_id    INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL
);
