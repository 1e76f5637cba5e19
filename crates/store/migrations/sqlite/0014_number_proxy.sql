-- The number proxy: a tenant's pool of proxy numbers, and proxy sessions that pair a contact
-- (participant a) with the agent desk or an operator's phone (participant b) for a time, so a
-- follow-up SMS goes out and its replies come back without either side learning the other's
-- number; and addresses kept only while a conversation needs them (SQLite dialect).

-- A proxy number belongs to the tenant's pool: it relays, it runs no flow.
ALTER TABLE phone_numbers ADD COLUMN proxy INTEGER NOT NULL DEFAULT 0;

-- 1: the address is kept only while the conversation runs and has messages to send
-- (pseudonymised caller-ID mode), then dropped.
ALTER TABLE conversation_contacts ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;

-- A message relayed through a proxy session goes to that participant from its proxy number.
ALTER TABLE message_deliveries ADD COLUMN proxy_session_id TEXT;
ALTER TABLE message_deliveries ADD COLUMN recipient TEXT;

CREATE TABLE proxy_sessions (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    id               TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    -- desk (agents answer in the conversation) or phone (an operator's phone)
    partner          TEXT NOT NULL,
    -- open or closed
    status           TEXT NOT NULL,
    ttl_ms           INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
) STRICT;
CREATE INDEX proxy_sessions_by_conversation ON proxy_sessions (tenant_id, conversation_id);
CREATE INDEX proxy_sessions_open ON proxy_sessions (status, expires_at);

-- A session's participants: the contact's pseudonym, the address sealed under the
-- conversation's key (dropped when the session closes) and the proxy number the participant
-- writes to and receives from.
CREATE TABLE proxy_participants (
    tenant_id        TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    role             TEXT NOT NULL,
    contact          TEXT NOT NULL,
    address          TEXT,
    proxy_number     TEXT NOT NULL,
    active           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, session_id, role),
    FOREIGN KEY (tenant_id, session_id) REFERENCES proxy_sessions(tenant_id, id)
) STRICT;
-- The invariant: among active sessions, an address and a proxy number make at most one pair,
-- so a message to a proxy number from an address names exactly one session.
CREATE UNIQUE INDEX proxy_participants_pair ON proxy_participants (proxy_number, contact) WHERE active = 1;
CREATE INDEX proxy_participants_by_conversation ON proxy_participants (tenant_id, conversation_id);
