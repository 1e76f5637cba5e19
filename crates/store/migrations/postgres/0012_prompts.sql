-- Recorded prompts for `say` nodes: uploaded once, kept in the telephone's format (8 kHz
-- µ-law, at most five minutes: 2.4 MB), in the database so that every node of a cluster plays
-- the same audio (PostgreSQL dialect).

CREATE TABLE prompts (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    -- what the upload was: wav, mp3, ogg-vorbis or ogg-opus
    format       TEXT NOT NULL,
    -- the uploaded file's size in bytes
    source_bytes BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    ulaw         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
