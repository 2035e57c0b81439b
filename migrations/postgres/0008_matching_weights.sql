-- A server's own weights for the matching score ("topic=0.4, availability=0.3"); NULL: the
-- default table.
ALTER TABLE matching_settings ADD COLUMN weights TEXT;
