//! Where a tenant's flows may reach loopback and private addresses. By default nowhere: the
//! `http_request` node's guard refuses every non-public address (after resolution), for every
//! tenant. An admin may open single destinations (`host:port`, such as an on-premises CRM),
//! each change audited; the demo flows reach this server's own `/demo/api/` endpoints without
//! any of this (see [`crate::PrivateAccess`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use domain::AuditAction;
use security::rbac::Permission;

use crate::{App, AppError, AppResult, Principal};

/// Destinations a tenant may open at most.
pub const MAX_DESTINATIONS: usize = 100;

/// A destination in the one form the guard compares: the host in lower case (an IPv4 address
/// in dotted form, an IPv6 address in brackets and shortest form), a colon and the port.
/// `None` for anything else (no scheme, path, user or wildcard; the port is required).
#[must_use]
pub fn normalize_destination(raw: &str) -> Option<String> {
    let raw = raw.trim().to_ascii_lowercase();
    let (host, port) = raw.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    let host = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        format!("[{}]", v6.parse::<Ipv6Addr>().ok()?)
    } else if let Ok(v4) = host.parse::<Ipv4Addr>() {
        v4.to_string()
    } else {
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            // A name of digits and dots only is a malformed IPv4 address, not a name.
            && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !name_ok {
            return None;
        }
        host.to_owned()
    };
    Some(format!("{host}:{port}"))
}

impl App {
    /// The destinations open to the caller's tenant's flows.
    pub async fn private_http_destinations(&self, who: &Principal) -> AppResult<Vec<String>> {
        who.require(Permission::ConfigManage)?;
        Ok(self
            .store()
            .private_http_destinations(who.tenant_id)
            .await?)
    }

    /// Opens a destination for the caller's tenant's flows (audited); opening an open one
    /// changes nothing. Returns the destination as stored.
    pub async fn allow_private_http_destination(
        &self,
        who: &Principal,
        raw: &str,
    ) -> AppResult<String> {
        who.require(Permission::ConfigManage)?;
        let destination = normalize_destination(raw).ok_or_else(|| {
            AppError::field(
                "destination",
                "host:port, such as crm.internal:8443, 10.0.0.5:80 or [fd00::5]:443",
            )
        })?;
        let open = self
            .store()
            .private_http_destinations(who.tenant_id)
            .await?;
        if open.contains(&destination) {
            return Ok(destination);
        }
        if open.len() >= MAX_DESTINATIONS {
            return Err(AppError::field(
                "destination",
                format!("at most {MAX_DESTINATIONS} destinations may be open"),
            ));
        }
        self.store()
            .set_private_http_destination(who.tenant_id, &destination, true, self.now())
            .await?;
        self.audit_success(who, AuditAction::HttpDestinationAllow, &destination)
            .await?;
        Ok(destination)
    }

    /// Closes a destination again (audited); `NotFound` when it was not open.
    pub async fn revoke_private_http_destination(
        &self,
        who: &Principal,
        raw: &str,
    ) -> AppResult<()> {
        who.require(Permission::ConfigManage)?;
        let destination = normalize_destination(raw).ok_or(AppError::NotFound)?;
        if !self
            .store()
            .set_private_http_destination(who.tenant_id, &destination, false, self.now())
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.audit_success(who, AuditAction::HttpDestinationRevoke, &destination)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_destination;

    #[test]
    fn destinations_have_one_form() {
        for (raw, form) in [
            ("CRM.Internal:8443", "crm.internal:8443"),
            (" 10.0.0.5:80 ", "10.0.0.5:80"),
            ("[FD00:0:0::5]:443", "[fd00::5]:443"),
            ("localhost:8080", "localhost:8080"),
        ] {
            assert_eq!(normalize_destination(raw).as_deref(), Some(form), "{raw}");
        }
        for bad in [
            "crm.internal",
            "crm.internal:0",
            "crm.internal:65536",
            "http://crm.internal:80",
            "crm.internal:80/path",
            "user@crm.internal:80",
            "*.internal:80",
            "fd00::5:443",
            "[not-v6]:443",
            "10.0.0.256:80",
            "-crm.internal:80",
            ":80",
        ] {
            assert_eq!(normalize_destination(bad), None, "{bad}");
        }
    }
}
