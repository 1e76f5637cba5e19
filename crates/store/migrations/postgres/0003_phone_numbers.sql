-- Phone numbers: the numbers (or request-URI users) a SIP trunk delivers calls to, each bound
-- to a flow of one tenant (PostgreSQL dialect). A number belongs to one tenant in the installation.

CREATE TABLE phone_numbers (
    number      TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    flow_id     TEXT,
    language    TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX phone_numbers_by_tenant ON phone_numbers (tenant_id);
