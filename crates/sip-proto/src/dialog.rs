//! Dialog state (RFC 3261 §12): identifiers, CSeq counters, route set and remote target, and the
//! construction of in-dialog requests. Shared by the UAS call and by test UACs.

use crate::message::Request;
use crate::method::Method;
use crate::typed::{NameAddr, Transport, Via};
use crate::uri::Uri;

/// Why a dialog could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("request lacks a valid {0}")]
    InvalidRequest(&'static str),
}

/// Our own address as it appears in Via and Contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

impl LocalAddr {
    pub fn contact(&self) -> String {
        match self.transport {
            Transport::Udp => format!("<sip:{}:{}>", self.host, self.port),
            ref t => format!(
                "<sip:{}:{};transport={}>",
                self.host,
                self.port,
                t.as_str().to_ascii_lowercase()
            ),
        }
    }

    pub fn via(&self, branch: &str) -> Via {
        let mut via = Via::new(self.transport.clone(), &self.host, Some(self.port), branch);
        via.params.set("rport", None);
        via
    }
}

/// One dialog from our point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: Option<String>,
    pub local: NameAddr,
    pub remote: NameAddr,
    pub remote_target: Uri,
    /// Route set in the order our requests must visit it.
    pub route_set: Vec<String>,
    pub local_seq: u32,
    pub remote_seq: u32,
}

impl Dialog {
    /// The UAS side of a dialog created by `invite` (RFC 3261 §12.1.1).
    pub fn uas(invite: &Request, local_tag: &str) -> Result<Dialog, DialogError> {
        let h = &invite.headers;
        let remote = h.from().map_err(|_| DialogError::InvalidRequest("From"))?;
        let mut local = h.to().map_err(|_| DialogError::InvalidRequest("To"))?;
        local.set_tag(local_tag);
        let remote_target = match h.contacts() {
            Ok(Some(c)) if !c.is_empty() => c[0].uri.clone(),
            _ => remote.uri.clone(),
        };
        Ok(Dialog {
            call_id: h
                .call_id()
                .map_err(|_| DialogError::InvalidRequest("Call-ID"))?
                .to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag: remote.tag().map(str::to_owned),
            local,
            remote,
            remote_target,
            route_set: h
                .list("Record-Route")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            local_seq: 0,
            remote_seq: h
                .cseq()
                .map_err(|_| DialogError::InvalidRequest("CSeq"))?
                .seq,
        })
    }

    /// The UAC side, created from our request and the dialog-creating response.
    pub fn uac(
        request: &Request,
        response: &crate::message::Response,
    ) -> Result<Dialog, DialogError> {
        let local = request
            .headers
            .from()
            .map_err(|_| DialogError::InvalidRequest("From"))?;
        let remote = response
            .headers
            .to()
            .map_err(|_| DialogError::InvalidRequest("To"))?;
        let remote_target = match response.headers.contacts() {
            Ok(Some(c)) if !c.is_empty() => c[0].uri.clone(),
            _ => request.uri.clone(),
        };
        let mut route_set: Vec<String> = response
            .headers
            .list("Record-Route")
            .into_iter()
            .map(str::to_owned)
            .collect();
        route_set.reverse();
        Ok(Dialog {
            call_id: request
                .headers
                .call_id()
                .map_err(|_| DialogError::InvalidRequest("Call-ID"))?
                .to_owned(),
            local_tag: local.tag().unwrap_or_default().to_owned(),
            remote_tag: remote.tag().map(str::to_owned),
            local,
            remote,
            remote_target,
            route_set,
            local_seq: request
                .headers
                .cseq()
                .map_err(|_| DialogError::InvalidRequest("CSeq"))?
                .seq,
            remote_seq: 0,
        })
    }

    /// Whether an incoming request belongs to this dialog.
    pub fn matches(&self, req: &Request) -> bool {
        let to_tag = req
            .headers
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned));
        let from_tag = req
            .headers
            .from()
            .ok()
            .and_then(|f| f.tag().map(str::to_owned));
        req.headers.call_id().is_ok_and(|c| c == self.call_id)
            && to_tag.as_deref() == Some(self.local_tag.as_str())
            && from_tag == self.remote_tag
    }

    /// Accepts a remote CSeq if it is higher than the last one (RFC 3261 §12.2.2); false means
    /// answer 500.
    pub fn accept_remote_seq(&mut self, seq: u32) -> bool {
        if seq <= self.remote_seq {
            return false;
        }
        self.remote_seq = seq;
        true
    }

    /// A new in-dialog request with the next CSeq (RFC 3261 §12.2.1.1, loose routing).
    pub fn request(&mut self, method: Method, local: &LocalAddr, branch: &str) -> Request {
        let cseq = if method == Method::Ack {
            self.local_seq
        } else {
            self.local_seq += 1;
            self.local_seq
        };
        self.request_with_cseq(method, cseq, local, branch)
    }

    /// An in-dialog request with an explicit CSeq number (the ACK for a 2xx reuses the INVITE's).
    pub fn request_with_cseq(
        &self,
        method: Method,
        cseq: u32,
        local: &LocalAddr,
        branch: &str,
    ) -> Request {
        let mut req = Request::new(method.clone(), self.remote_target.clone());
        req.headers.push("Via", local.via(branch).to_string());
        req.headers.push("Max-Forwards", "70");
        req.headers.push("From", self.local.to_string());
        req.headers.push("To", self.remote.to_string());
        req.headers.push("Call-ID", self.call_id.clone());
        req.headers.push("CSeq", format!("{cseq} {method}"));
        for r in &self.route_set {
            req.headers.push("Route", r.clone());
        }
        if matches!(
            method,
            Method::Invite | Method::Update | Method::Refer | Method::Subscribe
        ) {
            req.headers.push("Contact", local.contact());
        }
        req
    }
}
