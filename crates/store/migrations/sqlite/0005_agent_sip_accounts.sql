-- Agents' SIP accounts: the username an agent's phone registers with (unique in the
-- installation, since a REGISTER names no tenant) and the digest HA1 = MD5(username:realm:
-- password) that RFC 2617 needs to check it; the password itself is never stored (SQLite
-- dialect). One account per agent.

CREATE TABLE agent_sip_accounts (
    username    TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    user_id     TEXT NOT NULL,
    ha1         TEXT NOT NULL,
    realm       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
) STRICT;
