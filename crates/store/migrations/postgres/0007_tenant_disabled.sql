-- A tenant can be disabled (`hotline tenant disable`): its staff cannot sign in, its sessions
-- and API keys stop working, and its widgets and numbers answer as if they did not exist. The
-- data stays until it is deleted by retention or on request.

ALTER TABLE tenants ADD COLUMN disabled_at BIGINT;
