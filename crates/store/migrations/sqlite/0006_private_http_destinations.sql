-- Where a tenant's flows may reach loopback and private addresses: destinations (host:port)
-- an admin opened one by one, audited. They replace the tenant-wide flag that the first start
-- set on the demo tenant, which left the SSRF guard off for every single-tenant installation;
-- no tenant keeps private access it did not ask for.

CREATE TABLE tenant_http_destinations (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    destination  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, destination)
) STRICT;

ALTER TABLE tenants DROP COLUMN allow_private_http;
