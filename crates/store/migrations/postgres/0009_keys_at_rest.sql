-- Encryption at rest (PostgreSQL dialect). Personal data — transcripts, flow state, hand-over
-- context, task records, agents' notes, TOTP seeds — is stored sealed (AES-256-GCM) under one
-- data key per object; data keys are wrapped by a versioned tenant key, tenant keys by the root
-- key, which is never in the database. Deleting a data key shreds its object's data.

CREATE TABLE crypto_meta (
    name   TEXT PRIMARY KEY NOT NULL,
    value  BYTEA NOT NULL
);

CREATE TABLE tenant_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    version     BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE data_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    kind         TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    key_version  BIGINT NOT NULL,
    wrapped      BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, object_id),
    FOREIGN KEY (tenant_id, key_version) REFERENCES tenant_keys(tenant_id, version)
);
CREATE INDEX data_keys_by_version ON data_keys (tenant_id, key_version);
