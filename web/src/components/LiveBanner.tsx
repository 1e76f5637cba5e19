// The state of a live connection (the desk's or the supervisor view's socket), said plainly: nothing while it is
// open, a quiet line while the first attempt runs, an alert with "Reconnect now" once it has failed or dropped.
// What the page showed before stays on screen underneath; it is only marked as possibly out of date.

import type { LiveStatus } from "../contact/socket";
import { t } from "../i18n";

export function LiveBanner({ status, onReconnect }: { status: LiveStatus; onReconnect: () => void }) {
  const failing = status.state === "reconnecting" || (status.state === "connecting" && status.failures >= 2);
  return (
    <div role="status" data-testid="live-status" data-state={status.state}>
      {status.state === "connecting" && !failing && <p className="muted small">{t("live.connecting")}</p>}
      {failing && (
        <div className="alert live-alert" data-testid="live-error">
          <p className="alert-title">
            {status.state === "reconnecting" ? t("live.lost") : t("live.failed")}
          </p>
          <p>{t("live.outOfDate")}</p>
          <button type="button" onClick={onReconnect} data-testid="live-reconnect">
            {t("live.reconnect")}
          </button>
        </div>
      )}
    </div>
  );
}
