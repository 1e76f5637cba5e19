//! Call-backs: when an agent accepts the task of a caller who asked to be called back, Hotline
//! calls the caller through the trunk. Once they answer, the call runs as any other under a
//! [`Driver`]: the app says who is calling and asks for the agent's phone, which is rung and
//! bridged as for a caller who waited on the line. A call-back that is refused, not answered
//! within [`CALL_BACK_RING`] or cannot be sent is reported to the app, which puts the task back
//! in its queue (or ends it after the last attempt).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use app::{CallBackDialer, CallBackOrder};
use sip_proto::Transport;
use sip_proto::outgoing::OutgoingCall;
use sip_proto::sdp::{Codec, LocalMedia};
use sip_proto::uri::Uri;
use tokio::sync::{mpsc, oneshot};

use super::{CallSignal, Driver, DriverContext, UaCommand, random_u32};

/// How long a call-back may ring before it counts as not answered.
pub const CALL_BACK_RING: Duration = Duration::from_secs(45);

/// Places call-backs through one trunk.
pub(crate) struct TrunkDialer {
    /// Weak: the app holds the dialer, and the drivers' context holds the app.
    ctx: Weak<DriverContext>,
    ua: mpsc::UnboundedSender<UaCommand>,
    trunk: SocketAddr,
    /// Whether the trunk takes SIP over TLS.
    tls: bool,
}

impl TrunkDialer {
    pub(crate) fn new(
        ctx: Arc<DriverContext>,
        ua: mpsc::UnboundedSender<UaCommand>,
        trunk: SocketAddr,
        tls: bool,
    ) -> Self {
        Self {
            ctx: Arc::downgrade(&ctx),
            ua,
            trunk,
            tls,
        }
    }
}

impl CallBackDialer for TrunkDialer {
    fn call_back(&self, order: CallBackOrder) {
        let Some(ctx) = self.ctx.upgrade() else {
            tracing::warn!(conversation = %order.conversation, "call-back not placed: calls are shutting down");
            return;
        };
        let (ua, trunk, tls) = (self.ua.clone(), self.trunk, self.tls);
        tokio::spawn(async move {
            let (tenant, conversation, agent) = (order.tenant, order.conversation, order.agent);
            if !place(&ctx, &ua, (trunk, tls), order).await {
                ctx.stats.add(&ctx.stats.call_backs_failed, 1);
                if let Err(e) = ctx
                    .deps
                    .app
                    .call_back_failed(tenant, conversation, agent)
                    .await
                {
                    tracing::warn!(%conversation, error = %e, "an unanswered call-back was not put back");
                }
            }
        });
    }
}

/// Places one call-back and, once answered, drives it to its end. False when the caller did
/// not answer (or the call could not be placed). `order` holds the call's place under the
/// tenant's concurrency cap until this returns: the call has ended by then.
async fn place(
    ctx: &Arc<DriverContext>,
    ua: &mpsc::UnboundedSender<UaCommand>,
    (trunk, tls): (SocketAddr, bool),
    order: CallBackOrder,
) -> bool {
    let conversation = order.conversation;
    let params = if tls { ";transport=tls" } else { "" };
    let Ok(target) = Uri::parse(&format!("sip:{}@{trunk}{params}", order.number.expose())) else {
        return false;
    };
    let socket = match ctx.bind_rtp().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%conversation, error = %e, "no RTP port for a call-back");
            return false;
        }
    };
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let media = LocalMedia {
        address: ctx.host.clone(),
        port,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        telephone_event: true,
        session_id: u64::from(random_u32()),
        session_version: 1,
        srtp_key: None,
    };
    let (signals_tx, mut signals) = mpsc::unbounded_channel();
    let (reply, placed) = oneshot::channel();
    let _ = ua.send(UaCommand::CallOut {
        call: Box::new(OutgoingCall {
            target: target.clone(),
            to: target,
            from_user: order.from.clone(),
            destination: trunk,
            transport: if tls { Transport::Tls } else { Transport::Udp },
            media,
        }),
        signals: signals_tx,
        reply,
    });
    let Ok(Some(call)) = placed.await else {
        tracing::warn!(%conversation, "call-back could not be sent");
        return false;
    };
    ctx.stats.add(&ctx.stats.call_backs, 1);
    tracing::info!(call = call.0, %conversation, "call-back placed");
    let ring = tokio::time::sleep(CALL_BACK_RING);
    tokio::pin!(ring);
    let answer = loop {
        tokio::select! {
            s = signals.recv() => match s {
                Some(CallSignal::Answered(answer)) => break answer.map(|a| *a),
                Some(CallSignal::Failed(status)) => {
                    tracing::info!(call = call.0, %conversation, status, "call-back not answered");
                    let _ = ua.send(UaCommand::Done(call));
                    return false;
                }
                Some(CallSignal::Ended) | None => {
                    let _ = ua.send(UaCommand::Done(call));
                    return false;
                }
                Some(_) => {}
            },
            () = &mut ring => {
                tracing::info!(call = call.0, %conversation, "call-back rang out");
                let _ = ua.send(UaCommand::Hangup(call));
                let _ = ua.send(UaCommand::Done(call));
                return false;
            }
        }
    };
    ctx.stats.add(&ctx.stats.call_backs_answered, 1);
    tracing::info!(call = call.0, %conversation, "call-back answered");
    let session = match ctx
        .deps
        .app
        .call_back_answered(order.tenant, conversation)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(call = call.0, %conversation, error = %e, "answered call-back has no conversation");
            let _ = ua.send(UaCommand::Hangup(call));
            let _ = ua.send(UaCommand::Done(call));
            return true;
        }
    };
    let mut driver = Driver::new(
        ctx.clone(),
        socket,
        answer,
        &session,
        ua.clone(),
        call,
        None,
    );
    driver.media_loop(&mut signals, session.events).await;
    let _ = ua.send(UaCommand::Done(call));
    true
}
