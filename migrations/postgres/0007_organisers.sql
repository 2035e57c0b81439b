-- The organisers' part (issue 6): the weekly digest's cron (five fields on the server's local
-- time; NULL means the default, Monday 09:00; 'off' turns it off) and the server's time zone
-- (an IANA name; NULL means UTC).
ALTER TABLE program_settings ADD COLUMN digest_cron TEXT;
ALTER TABLE program_settings ADD COLUMN timezone TEXT;
