//! Inputs that arrive after a step: due timers, and the results of the HTTP requests a step
//! started. Both are stored before they are needed — timers in the store, each request
//! guarded by a watchdog timer — so a restart loses neither; whichever of a response and its
//! watchdog comes first feeds the conversation, the other is dropped.

use domain::{ConversationId, TenantId};
use flow::Input;

use super::plan::{watchdog_request, watchdog_timer};
use crate::ports::{OutboundOutcome, OutboundRequest, OutboundResponse};
use crate::{App, AppResult};

impl App {
    /// Fires every timer that is due; returns how many fired. The server calls this
    /// periodically; tests call it after moving the clock.
    pub async fn fire_due_timers(&self) -> AppResult<usize> {
        let due = self.store().due_timers(self.now(), 200).await?;
        let mut fired = 0;
        for timer in due {
            // Taking the timer is a compare-and-set: with several nodes, one fires it.
            if !self
                .store()
                .take_timer(timer.tenant_id, timer.conversation_id, timer.timer_id)
                .await?
            {
                continue;
            }
            let input = match watchdog_request(timer.timer_id) {
                Some(request) => Input::HttpResult {
                    request,
                    status: 0,
                    body: String::new(),
                },
                None => Input::TimerFired {
                    timer: u32::try_from(timer.timer_id).unwrap_or(u32::MAX),
                },
            };
            match self
                .step(timer.tenant_id, timer.conversation_id, input, None)
                .await
            {
                Ok(_) => fired += 1,
                Err(e) => {
                    tracing::warn!(conversation = %timer.conversation_id, error = %e, "timer step failed")
                }
            }
        }
        Ok(fired)
    }

    /// Performs a request a stored step asked for and feeds its result back as a step.
    pub(super) fn spawn_http(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        id: u32,
        request: OutboundRequest,
    ) {
        let app = self.clone();
        tokio::spawn(async move {
            // Nothing private is reachable unless an admin opened the destination; a store
            // error opens nothing.
            let access = crate::PrivateAccess {
                destinations: app
                    .store()
                    .private_http_destinations(tenant)
                    .await
                    .unwrap_or_default(),
                own_demo_base: app.conversations().base_url.get().cloned(),
            };
            let response = match app.conversations().http.get() {
                Some(client) => client.send(request, &access).await,
                None => OutboundResponse::unanswered(OutboundOutcome::Failed),
            };
            // Only the first of the response and the watchdog may feed the result.
            match app
                .store()
                .take_timer(tenant, conversation, watchdog_timer(id))
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(conversation = %conversation, error = %e, "HTTP result could not be recorded");
                    return;
                }
            }
            let input = Input::HttpResult {
                request: id,
                status: response.status,
                body: response.body,
            };
            if let Err(e) = app.step(tenant, conversation, input, None).await {
                tracing::warn!(conversation = %conversation, error = %e, "HTTP result step failed");
            }
        });
    }
}
