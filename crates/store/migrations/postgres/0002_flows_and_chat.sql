-- Flows with immutable published versions, web chat widgets, conversations with their
-- messages, timers and queue entries (PostgreSQL dialect).

ALTER TABLE tenants ADD COLUMN allow_private_http BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE flows (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    draft           TEXT NOT NULL,
    active_version  BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE flow_versions (
    tenant_id   TEXT NOT NULL,
    flow_id     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    source      TEXT NOT NULL,
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows(tenant_id, id)
);

CREATE TABLE widgets (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    name             TEXT NOT NULL,
    flow_id          TEXT,
    title            TEXT NOT NULL,
    primary_color    TEXT NOT NULL,
    greeting         TEXT NOT NULL,
    allowed_origins  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX widgets_by_tenant ON widgets (tenant_id);

CREATE TABLE conversations (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    channel       TEXT NOT NULL,
    widget_id     TEXT,
    flow_id       TEXT NOT NULL,
    flow_version  BIGINT NOT NULL,
    session_hash  TEXT NOT NULL,
    state         TEXT NOT NULL,
    status        TEXT NOT NULL,
    last_seq      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX conversations_by_session ON conversations (tenant_id, session_hash);

CREATE TABLE messages (
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    sender           TEXT NOT NULL,
    body             TEXT NOT NULL,
    choices          TEXT,
    client_id        TEXT,
    at               BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, seq),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages (tenant_id, conversation_id, client_id);

CREATE TABLE conversation_timers (
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    timer_id         BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, timer_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE INDEX conversation_timers_due ON conversation_timers (due_at);

CREATE TABLE queue_entries (
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    queue            TEXT NOT NULL,
    priority         BIGINT NOT NULL,
    context          TEXT NOT NULL,
    enqueued_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE INDEX queue_entries_by_queue ON queue_entries (tenant_id, queue, priority, enqueued_at);
