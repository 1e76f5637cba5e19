-- The contact centre: queues and agents as configured, tasks (one caller waiting for or
-- talking to a human) with their whole routing record, presence changes for occupancy,
-- internal notes, canned answers and per-tenant settings (PostgreSQL dialect).

CREATE TABLE cc_queues (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE cc_agents (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    user_id         TEXT NOT NULL,
    profile         TEXT NOT NULL,
    presence        TEXT NOT NULL,
    presence_since  BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE cc_tasks (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    id               TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    queue            TEXT NOT NULL,
    state            TEXT NOT NULL,
    agent_id         TEXT,
    live             BIGINT NOT NULL,
    record           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cc_tasks_live ON cc_tasks (tenant_id, live);
CREATE INDEX cc_tasks_by_time ON cc_tasks (tenant_id, created_at);
CREATE INDEX cc_tasks_by_conversation ON cc_tasks (tenant_id, conversation_id);

CREATE TABLE cc_presence_log (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    user_id    TEXT NOT NULL,
    presence   TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX cc_presence_log_by_time ON cc_presence_log (tenant_id, at);

CREATE TABLE cc_notes (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    id               TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    author_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cc_notes_by_conversation ON cc_notes (tenant_id, conversation_id, at);

CREATE TABLE cc_canned (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    language    TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE cc_settings (
    tenant_id   TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id),
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
