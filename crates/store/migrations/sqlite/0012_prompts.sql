-- Recorded prompts for `say` nodes: uploaded once, kept in the telephone's format (8 kHz
-- µ-law, at most five minutes: 2.4 MB), in the database so that every node of a cluster plays
-- the same audio (SQLite dialect).

CREATE TABLE prompts (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    -- what the upload was: wav, mp3, ogg-vorbis or ogg-opus
    format       TEXT NOT NULL,
    -- the uploaded file's size in bytes
    source_bytes INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    ulaw         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
