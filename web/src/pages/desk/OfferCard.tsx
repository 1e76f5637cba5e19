// One offer on the desk: who is waiting (pseudonymously), why, in which queue and language, what the bot understood,
// how long they have waited, and how long the offer stays open. A crisis is impossible to miss.

import type { Task } from "../../api";
import { formatDuration, secondsSince } from "../../contact/format";
import { channelLabel, reasonLabel, t } from "../../i18n";
import { TaskFacts } from "./TaskFacts";

interface Props {
  task: Task;
  now: number;
  busy: boolean;
  onAccept: () => void;
  onDecline: () => void;
}

export function OfferCard({ task, now, busy, onAccept, onDecline }: Props) {
  // Whole seconds left, rounded down: a 30-second offer never shows 0:31 however the frame was timed.
  const expiresAt = task.offer_expires_at ? Date.parse(task.offer_expires_at) : Number.NaN;
  const left = Number.isNaN(expiresAt) ? null : Math.max(0, Math.floor((expiresAt - now) / 1000));
  const crisis = task.crisis || task.reason === "crisis";
  // Until the server withdraws it, an offer past its time stays on screen, dimmed and without an Accept button.
  const expired = !Number.isNaN(expiresAt) && expiresAt <= now;
  return (
    <li
      className={`offer card${crisis ? " crisis" : ""}${expired ? " expired" : ""}`}
      data-testid={`offer-${task.id}`}
      data-crisis={crisis}
      data-contact={task.contact}
      aria-labelledby={`offer-${task.id}-heading`}
    >
      <div className="offer-head">
        <h3 id={`offer-${task.id}-heading`}>
          {crisis && (
            <strong className="crisis-badge" data-testid="crisis-badge">
              {t("desk.crisis")}
            </strong>
          )}
          <span className="contact">{task.contact}</span>
          <span className="badge">{channelLabel(task.channel)}</span>
          {task.call_back?.pending && (
            <span className="badge" data-testid="call-back-badge" title={t("desk.callBackHint")}>
              {t("desk.callBack")}
            </span>
          )}
        </h3>
        {left !== null && (
          <p className={`countdown${left <= 10 ? " urgent" : ""}`} data-testid="offer-countdown" data-seconds={left}>
            {t("desk.expiresIn", { time: formatDuration(left) })}
          </p>
        )}
      </div>
      <p className="offer-reason">{reasonLabel(task.reason)}</p>
      {task.call_back?.pending && <p className="offer-reason">{t("desk.callBackHint")}</p>}
      {task.call_back && task.call_back.attempts > 0 && (
        <p className="offer-reason" data-testid="call-back-attempts">
          {t("desk.callBackAttempts", { attempts: String(task.call_back.attempts) })}
        </p>
      )}
      <TaskFacts task={task} waited={formatDuration(secondsSince(task.wait_started_at, now))} />
      <div className="toolbar">
        <button type="button" className="primary" disabled={busy || expired} onClick={onAccept} data-testid="offer-accept">
          {t("desk.accept")}
          <span className="visually-hidden"> {task.contact}</span>
        </button>
        <button type="button" disabled={busy} onClick={onDecline} data-testid="offer-decline">
          {t("desk.decline")}
          <span className="visually-hidden"> {task.contact}</span>
        </button>
      </div>
    </li>
  );
}
