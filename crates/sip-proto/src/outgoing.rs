//! Calls we place: the UAC side of an INVITE dialog (RFC 3261 §13.2), as Hotline rings an
//! agent's registered phone. [`UserAgent::invite`] sends the INVITE with our SDP offer; the
//! provisional and final responses come back as [`UaEvent::Ringing`], [`UaEvent::Answered`]
//! (after we sent the ACK, which for a 2xx is ours to send and to repeat for every
//! retransmitted 2xx, §13.2.2.4) or [`UaEvent::Failed`]. Giving up while it rings is a CANCEL
//! (§9.1: only once a provisional response has arrived); a 2xx that races the CANCEL is
//! acknowledged and ended with BYE at once. Once answered, the call is like any other: BYE,
//! re-INVITE and INFO in either direction.

use std::net::SocketAddr;

use crate::call::{Call, CallId, CallState, Outgoing, UaEvent};
use crate::dialog::Dialog;
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::sdp::{self, LocalMedia, SessionDescription};
use crate::transaction::build_cancel;
use crate::typed::{MAGIC_COOKIE, NameAddr, Transport};
use crate::ua::{ALLOW, CallError, UserAgent};
use crate::uri::Uri;

/// A call to place.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingCall {
    /// The Request-URI: where the callee said it can be reached (a registered Contact).
    pub target: Uri,
    /// The To header: whom we call (the address of record).
    pub to: Uri,
    /// The user part of our From header (`sip:{from_user}@{our host}`).
    pub from_user: String,
    /// Where the INVITE goes (the address the registration came from).
    pub destination: SocketAddr,
    /// How it goes.
    pub transport: Transport,
    /// Our media, offered in the INVITE.
    pub media: LocalMedia,
}

impl std::fmt::Debug for OutgoingCall {
    // The callee's addresses are personal data: a stray log line must not show them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingCall")
            .field("target", &"<redacted>")
            .field("to", &"<redacted>")
            .field("destination", &"<redacted>")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl UserAgent {
    /// Places a call: sends the INVITE with our offer. Its outcome arrives as events.
    pub fn invite(&mut self, call: OutgoingCall, now: u64) -> Result<CallId, CallError> {
        let tag = self.token();
        let branch = format!("{MAGIC_COOKIE}{}", self.token());
        let local = self.local_for(&call.transport);
        let call_id = format!("{}@{}", self.token(), local.host);
        let from = format!(
            "<sip:{}@{}:{}>;tag={tag}",
            call.from_user, local.host, local.port
        );
        let to = format!("<{}>", call.to);
        let mut req = Request::new(Method::Invite, call.target.clone());
        req.headers.push("Via", local.via(&branch).to_string());
        req.headers.push("Max-Forwards", "70");
        req.headers.push("From", from.clone());
        req.headers.push("To", to.clone());
        req.headers.push("Call-ID", call_id.clone());
        req.headers.push("CSeq", "1 INVITE");
        req.headers.push("Contact", local.contact());
        req.headers.push("Allow", ALLOW);
        req.headers.push("Content-Type", "application/sdp");
        req.body = sdp::offer(&call.media, sdp::Direction::SendRecv).to_bytes();
        let (Ok(local_name), Ok(remote_name)) = (NameAddr::parse(&from), NameAddr::parse(&to))
        else {
            return Err(CallError::InvalidTarget);
        };
        let dialog = Dialog {
            call_id: call_id.clone(),
            local_tag: tag.clone(),
            remote_tag: None,
            local: local_name,
            remote: remote_name,
            remote_target: call.target,
            route_set: Vec::new(),
            local_seq: 1,
            remote_seq: 0,
        };
        let tx = self.endpoint.send_request(
            req.clone(),
            call.destination,
            call.transport.clone(),
            now,
        )?;
        self.next_call += 1;
        let id = CallId(self.next_call);
        self.by_dialog.insert((call_id, tag), id);
        self.calls.insert(
            id,
            Call {
                dialog,
                state: CallState::Calling,
                invite_tx: tx,
                peer: call.destination,
                transport: call.transport,
                offer: None,
                local_media: Some(call.media),
                secured: false,
                pending: None,
                bye_tx: None,
                refer_tx: None,
                hangup_after_ack: false,
                outgoing: Some(Outgoing {
                    invite: req,
                    ack: None,
                    provisional: false,
                    cancel_sent: false,
                    rang: false,
                }),
            },
        );
        Ok(id)
    }

    /// Gives up on a call we placed that has not been answered: CANCEL now, or as soon as a
    /// provisional response allows it. `Failed` (487) follows; if a 2xx wins the race, the
    /// call is acknowledged and ended with BYE, and `Hangup` follows instead.
    pub fn cancel(&mut self, id: CallId, now: u64) -> Result<(), CallError> {
        let call = self.calls.get_mut(&id).ok_or(CallError::UnknownCall)?;
        if !matches!(call.state, CallState::Calling | CallState::Cancelling) {
            return Err(CallError::InvalidState(call.state));
        }
        call.state = CallState::Cancelling;
        self.send_cancel_if_allowed(id, now);
        Ok(())
    }

    fn send_cancel_if_allowed(&mut self, id: CallId, now: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (peer, transport) = (call.peer, call.transport.clone());
        let Some(out) = call.outgoing.as_mut() else {
            return;
        };
        if call.state != CallState::Cancelling || !out.provisional || out.cancel_sent {
            return;
        }
        out.cancel_sent = true;
        let cancel = build_cancel(&out.invite);
        // A CANCEL that cannot be sent leaves the INVITE to its own timeout (Timer B).
        let _ = self.endpoint.send_request(cancel, peer, transport, now);
    }

    /// The call whose INVITE client transaction this is.
    pub(crate) fn outgoing_of(&self, tx: crate::TransactionId) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, c)| c.outgoing.is_some() && c.invite_tx == tx)
            .map(|(id, _)| *id)
    }

    pub(crate) fn on_invite_response(
        &mut self,
        tx: crate::TransactionId,
        resp: Response,
        now: u64,
    ) {
        let Some(id) = self.outgoing_of(tx) else {
            return;
        };
        match resp.status {
            100..=199 => {
                let Some(out) = self.calls.get_mut(&id).and_then(|c| c.outgoing.as_mut()) else {
                    return;
                };
                out.provisional = true;
                if resp.status != 100 && !out.rang {
                    out.rang = true;
                    self.events.push_back(UaEvent::Ringing { call: id });
                }
                self.send_cancel_if_allowed(id, now);
            }
            200..=299 => self.on_invite_2xx(id, &resp, now),
            status => {
                // The transaction acknowledged the final response itself (§17.1.1.3).
                self.remove(id);
                self.events.push_back(UaEvent::Failed { call: id, status });
            }
        }
    }

    fn on_invite_2xx(&mut self, id: CallId, resp: &Response, now: u64) {
        let branch = format!("{MAGIC_COOKIE}{}", self.token());
        let Some(transport) = self.calls.get(&id).map(|c| c.transport.clone()) else {
            return;
        };
        let local = self.local_for(&transport);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(out) = call.outgoing.as_mut() else {
            return;
        };
        if let Some(ack) = &out.ack {
            // A retransmission: our ACK was lost.
            let ack = Message::Request(ack.clone());
            let (peer, transport) = (call.peer, call.transport.clone());
            self.endpoint.send_stateless(&ack, peer, transport);
            return;
        }
        let Ok(dialog) = Dialog::uac(&out.invite, resp) else {
            return;
        };
        let ack = dialog.request_with_cseq(Method::Ack, dialog.local_seq, &local, &branch);
        out.ack = Some(ack.clone());
        call.dialog = dialog;
        let (peer, transport) = (call.peer, call.transport.clone());
        let media = SessionDescription::parse(&resp.body)
            .ok()
            .zip(call.local_media.as_ref())
            .and_then(|(answer, local)| sdp::accept(&answer, local).ok());
        let cancelled = call.state == CallState::Cancelling;
        call.state = CallState::Confirmed;
        self.endpoint
            .send_stateless(&Message::Request(ack), peer, transport);
        if cancelled {
            // Answered after we gave up: end it at once (RFC 3261 §9.1).
            self.send_bye(id, now);
            if let Some(call) = self.calls.get_mut(&id) {
                call.state = CallState::Terminating;
            }
        } else {
            self.events.push_back(UaEvent::Answered { call: id, media });
        }
    }

    /// Our INVITE went unanswered (Timer B: 408) or could not be sent (503).
    pub(crate) fn on_invite_failure(&mut self, tx: crate::TransactionId, status: u16) {
        let Some(id) = self.outgoing_of(tx) else {
            return;
        };
        let answered = self
            .calls
            .get(&id)
            .is_some_and(|c| c.outgoing.as_ref().is_some_and(|o| o.ack.is_some()));
        // After a 2xx the transaction's end (Timer M) is no failure.
        if !answered {
            self.remove(id);
            self.events.push_back(UaEvent::Failed { call: id, status });
        }
    }

    /// A 2xx to one of our INVITEs after its transaction ended: acknowledged again
    /// (RFC 3261 §13.2.2.4).
    pub(crate) fn on_stray_response(&mut self, resp: &Response) {
        if !resp.is_success()
            || resp
                .headers
                .cseq()
                .map_or(true, |c| c.method != Method::Invite)
        {
            return;
        }
        let (Ok(call_id), Ok(from)) = (resp.headers.call_id(), resp.headers.from()) else {
            return;
        };
        let Some(tag) = from.tag() else { return };
        let Some(id) = self
            .by_dialog
            .get(&(call_id.to_owned(), tag.to_owned()))
            .copied()
        else {
            return;
        };
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if let Some(ack) = call.outgoing.as_ref().and_then(|o| o.ack.clone()) {
            let (peer, transport) = (call.peer, call.transport.clone());
            self.endpoint
                .send_stateless(&Message::Request(ack), peer, transport);
        }
    }
}
