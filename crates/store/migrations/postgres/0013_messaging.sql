-- Messaging (SMS, WhatsApp): which channels a number serves, the conversation a contact's
-- messages to a number continue, the provider message ids already taken (a provider's retry
-- never makes a second message), and the delivery state of every message sent (PostgreSQL
-- dialect).

-- A comma-separated list of channels: voice, sms, whatsapp.
ALTER TABLE phone_numbers ADD COLUMN channels TEXT NOT NULL DEFAULT 'voice';

-- The open conversation of a contact (a pseudonym, never the address) on a number.
CREATE TABLE message_threads (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    channel          TEXT NOT NULL,
    number           TEXT NOT NULL,
    contact          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, channel, number, contact),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE INDEX message_threads_by_conversation ON message_threads (tenant_id, conversation_id);

-- Inbound messages taken, by the provider's message id.
CREATE TABLE inbound_messages (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    channel          TEXT NOT NULL,
    provider_id      TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, channel, provider_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations(tenant_id, id)
);
CREATE INDEX inbound_messages_by_conversation ON inbound_messages (tenant_id, conversation_id);

-- One row per message to send (written in the step that wrote the message): queued until a
-- provider took it, then sent, delivered, read or failed.
CREATE TABLE message_deliveries (
    tenant_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    provider_id      TEXT,
    error            TEXT,
    next_attempt_at  BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, seq),
    FOREIGN KEY (tenant_id, conversation_id, seq) REFERENCES messages(tenant_id, conversation_id, seq)
);
CREATE INDEX message_deliveries_due ON message_deliveries (state, next_attempt_at);
CREATE INDEX message_deliveries_by_provider_id ON message_deliveries (tenant_id, provider_id);
