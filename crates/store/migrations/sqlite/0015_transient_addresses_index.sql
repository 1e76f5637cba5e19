-- The sweep that drops addresses kept only while a conversation needs them (pseudonymised
-- caller-ID mode) runs every few seconds: it looks only at rows that still hold such an
-- address, so it stays cheap however many conversations the table holds.
CREATE INDEX conversation_contacts_transient ON conversation_contacts (conversation_id)
    WHERE transient = 1 AND address IS NOT NULL;
