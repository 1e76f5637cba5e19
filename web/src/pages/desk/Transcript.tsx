// The whole conversation as the agent reads it: caller, bot, agent and system messages in seq order, each marked by
// who wrote it (bot messages say they came from the bot), with the internal notes woven in by time and set apart as
// never shown to the caller. It keeps itself scrolled to the newest entry unless the agent has scrolled up. Given the
// deliveries of an SMS or WhatsApp conversation, each message the hotline sent carries where it stands.

import { useEffect, useLayoutEffect, useRef } from "react";
import type { Delivery, Message, Note } from "../../api";
import { deliveryOf } from "../../contact/deliveries";
import { formatClock } from "../../contact/format";
import { deliveryStateLabel, senderLabel, t } from "../../i18n";

type Entry = { kind: "message"; at: number; message: Message } | { kind: "note"; at: number; note: Note };

/** Messages in seq order; each note goes after the last message written before it. */
export function weave(messages: readonly Message[], notes: readonly Note[]): Entry[] {
  const entries: Entry[] = messages.map((m) => ({ kind: "message", at: Date.parse(m.at), message: m }));
  for (const note of notes) {
    const at = Date.parse(note.at);
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.at > at) i--;
    entries.splice(i, 0, { kind: "note", at, note });
  }
  return entries;
}

/** Where one sent message stands; a failure is set apart and says why (the provider's words) on hover and to
 *  screen readers. */
function DeliveryBadge({ delivery }: { delivery: Delivery | undefined }) {
  if (!delivery) return null;
  const state = deliveryStateLabel(delivery.state);
  const why = delivery.error ? ` (${delivery.error})` : "";
  return (
    <span
      className={`badge delivery delivery-${delivery.state}`}
      title={delivery.error ?? undefined}
      data-testid="delivery"
      data-state={delivery.state}
    >
      <span aria-hidden="true">{state}</span>
      <span className="visually-hidden">{t("desk.deliveryState", { state }) + why}</span>
    </span>
  );
}

export function Transcript({
  messages,
  notes,
  deliveries,
}: {
  messages: readonly Message[];
  notes: readonly Note[];
  /** Deliveries by seq, for SMS and WhatsApp conversations. */
  deliveries?: ReadonlyMap<number, Delivery>;
}) {
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const entries = weave(messages, notes);

  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [entries.length]);

  useEffect(() => {
    const el = list.current;
    if (!el) return;
    const onScroll = () => {
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    el.addEventListener("scroll", onScroll);
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  return (
    <ol className="transcript" ref={list} role="log" aria-live="polite" aria-label={t("desk.transcript")} data-testid="transcript">
      {entries.length === 0 && <li className="muted">{t("desk.noMessages")}</li>}
      {entries.map((entry) =>
        entry.kind === "message" ? (
          <li
            key={`m${entry.message.seq}`}
            className={`msg msg-${entry.message.from}`}
            data-from={entry.message.from}
            data-seq={entry.message.seq}
          >
            <p className="msg-meta">
              <span className={`sender sender-${entry.message.from}`}>{senderLabel(entry.message.from)}</span>
              <time dateTime={entry.message.at}>{formatClock(entry.message.at)}</time>
              {deliveries && <DeliveryBadge delivery={deliveryOf(entry.message, deliveries)} />}
            </p>
            <p className="msg-text">{entry.message.text}</p>
          </li>
        ) : (
          <li key={`n${entry.note.id}`} className="note" data-testid="note" data-note-id={entry.note.id}>
            <p className="msg-meta">
              <span className="sender sender-note">{t("desk.noteLabel")}</span>
              <span>{entry.note.author}</span>
              <time dateTime={entry.note.at}>{formatClock(entry.note.at)}</time>
            </p>
            <p className="msg-text">{entry.note.text}</p>
          </li>
        ),
      )}
    </ol>
  );
}
