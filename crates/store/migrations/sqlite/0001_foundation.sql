-- Tenants, staff accounts, sessions, API keys and the audit chain (SQLite dialect).
-- Times are milliseconds since the Unix epoch (UTC); ids are UUID text.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    id                   TEXT NOT NULL,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    totp_secret          TEXT,
    totp_enrolled        INTEGER NOT NULL,
    totp_last_step       INTEGER,
    disabled             INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE backup_codes (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    ordinal    INTEGER NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (tenant_id, user_id, ordinal),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE sessions (
    tenant_id     TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    stage         TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);

CREATE TABLE api_keys (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    last_used_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE audit_log (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    seq          INTEGER NOT NULL,
    id           TEXT NOT NULL,
    at           INTEGER NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    auth_method  TEXT NOT NULL,
    source_ip    TEXT,
    request_id   TEXT,
    action       TEXT NOT NULL,
    object_type  TEXT,
    object_id    TEXT,
    outcome      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;

-- The head of each tenant's chain, kept apart from the entries so that deleting the newest
-- entries is detected, and updated first in every append so appends serialise per tenant.
CREATE TABLE audit_heads (
    tenant_id  TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id),
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

-- Append-only: the application never updates or deletes audit entries. Someone with direct
-- database access can drop these triggers; the hash chain is what detects that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
