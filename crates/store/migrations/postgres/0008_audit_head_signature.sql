-- The audit chain's head is signed: HMAC-SHA256 under a key kept outside the database
-- (`audit.key_file`), so recomputing every hash after an edit is detected. Heads written
-- before the key existed are signed once, after their chains verify, when the key is made.

ALTER TABLE audit_heads ADD COLUMN mac TEXT;
