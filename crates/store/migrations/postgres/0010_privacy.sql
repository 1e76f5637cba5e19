-- Privacy: what each phone number keeps of who called, the contact behind a conversation
-- (a keyed pseudonym, and under the identified mode the address sealed under the
-- conversation's key), and each tenant's retention periods and audit-address mode
-- (PostgreSQL dialect).

ALTER TABLE phone_numbers ADD COLUMN caller_id TEXT NOT NULL DEFAULT 'pseudonymised';

CREATE TABLE conversation_contacts (
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    contact          TEXT NOT NULL,
    address          TEXT,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE INDEX conversation_contacts_by_contact ON conversation_contacts (tenant_id, contact);
CREATE INDEX conversation_contacts_by_time ON conversation_contacts (tenant_id, created_at);

CREATE TABLE privacy_settings (
    tenant_id   TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id),
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The retention job finds ended conversations by age, and data keys (recordings, audit
-- months) by kind and age.
CREATE INDEX conversations_by_age ON conversations (tenant_id, status, updated_at);
CREATE INDEX data_keys_by_age ON data_keys (tenant_id, kind, created_at);
