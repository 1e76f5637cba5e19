-- Encryption at rest (SQLite dialect). Personal data — transcripts, flow state, hand-over
-- context, task records, agents' notes, TOTP seeds — is stored sealed (AES-256-GCM) under one
-- data key per object; data keys are wrapped by a versioned tenant key, tenant keys by the root
-- key, which is never in the database. Deleting a data key shreds its object's data.

CREATE TABLE crypto_meta (
    name   TEXT PRIMARY KEY NOT NULL,
    value  BLOB NOT NULL
) STRICT;

CREATE TABLE tenant_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    version     INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, version)
) STRICT;

CREATE TABLE data_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    kind         TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    key_version  INTEGER NOT NULL,
    wrapped      BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, object_id),
    FOREIGN KEY (tenant_id, key_version) REFERENCES tenant_keys(tenant_id, version)
) STRICT;
CREATE INDEX data_keys_by_version ON data_keys (tenant_id, key_version);
