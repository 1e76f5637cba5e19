-- Tenants, staff accounts, sessions, API keys and the audit chain (PostgreSQL dialect).
-- Times are milliseconds since the Unix epoch (UTC); ids are UUID text, as in SQLite, so both
-- backends share one set of queries.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    id                   TEXT NOT NULL,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    totp_secret          TEXT,
    totp_enrolled        BOOLEAN NOT NULL,
    totp_last_step       BIGINT,
    disabled             BOOLEAN NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE backup_codes (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    ordinal    BIGINT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (tenant_id, user_id, ordinal),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id     TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    stage         TEXT NOT NULL,
    auth_method   TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);

CREATE TABLE api_keys (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    last_used_at  BIGINT,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_log (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    seq          BIGINT NOT NULL,
    id           TEXT NOT NULL,
    at           BIGINT NOT NULL,
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
);

-- The head of each tenant's chain, kept apart from the entries so that deleting the newest
-- entries is detected, and locked first in every append so appends serialise per tenant.
CREATE TABLE audit_heads (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id),
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL
);

-- Append-only: the application never updates or deletes audit entries. Someone with direct
-- database access can drop this trigger; the hash chain is what detects that.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
