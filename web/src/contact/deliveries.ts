// Where the messages Hotline sent on SMS or WhatsApp stand, matched to the transcript by `seq`. Only messages the
// hotline wrote (bot and agent) are delivered; what the contact wrote and system lines have no delivery.

import type { Channel, Delivery, Message } from "../api";

/** The channels whose outgoing messages have a delivery state. */
export function isMessaging(channel: Channel): boolean {
  return channel === "sms" || channel === "whatsapp";
}

/** Deliveries by the `seq` of the message they carry; if the server ever lists a seq twice, the newest state wins. */
export function deliveriesBySeq(items: readonly Delivery[]): Map<number, Delivery> {
  const bySeq = new Map<number, Delivery>();
  for (const d of items) {
    const known = bySeq.get(d.seq);
    if (!known || Date.parse(d.updated_at) >= Date.parse(known.updated_at)) bySeq.set(d.seq, d);
  }
  return bySeq;
}

/** The delivery of one transcript message, if the hotline sent it and the server knows where it stands. */
export function deliveryOf(message: Message, bySeq: ReadonlyMap<number, Delivery>): Delivery | undefined {
  if (message.from !== "bot" && message.from !== "agent") return undefined;
  return bySeq.get(message.seq);
}
