// Matching delivery states to transcript messages by seq.

import { describe, expect, test } from "vitest";
import type { Delivery, Message } from "../api";
import { deliveriesBySeq, deliveryOf, isMessaging } from "./deliveries";

const delivery = (seq: number, state: Delivery["state"], updated_at = "2025-03-01T10:00:00Z"): Delivery => ({
  seq,
  state,
  attempts: 1,
  error: null,
  updated_at,
});

const message = (seq: number, from: Message["from"]): Message => ({ seq, from, at: "2025-03-01T09:59:00Z", text: "…" });

describe("deliveries", () => {
  test("only SMS and WhatsApp have deliveries", () => {
    expect(isMessaging("sms")).toBe(true);
    expect(isMessaging("whatsapp")).toBe(true);
    expect(isMessaging("voice")).toBe(false);
    expect(isMessaging("chat")).toBe(false);
  });

  test("each message gets the delivery of its seq", () => {
    const bySeq = deliveriesBySeq([delivery(2, "delivered"), delivery(4, "failed")]);
    expect(deliveryOf(message(2, "bot"), bySeq)?.state).toBe("delivered");
    expect(deliveryOf(message(4, "agent"), bySeq)?.state).toBe("failed");
    expect(deliveryOf(message(3, "bot"), bySeq)).toBeUndefined();
  });

  test("what the contact wrote and system lines have no delivery, even with a matching seq", () => {
    const bySeq = deliveriesBySeq([delivery(1, "sent"), delivery(5, "sent")]);
    expect(deliveryOf(message(1, "user"), bySeq)).toBeUndefined();
    expect(deliveryOf(message(5, "system"), bySeq)).toBeUndefined();
  });

  test("a seq listed twice keeps the newest state", () => {
    const bySeq = deliveriesBySeq([
      delivery(2, "read", "2025-03-01T10:05:00Z"),
      delivery(2, "sent", "2025-03-01T10:01:00Z"),
    ]);
    expect(bySeq.get(2)?.state).toBe("read");
  });
});
