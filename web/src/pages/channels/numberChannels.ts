// The channels a phone number can serve and the checkbox state that edits them. Web chat is not among them: it runs
// through widgets. Whether a choice is allowed (at least one) is the server's to say; this only keeps the list tidy.

import type { Channel } from "../../api";

/** The channels a number can serve, in the order the server lists them. */
export const NUMBER_CHANNELS = ["voice", "sms", "whatsapp"] as const satisfies readonly Channel[];
export type NumberChannel = (typeof NUMBER_CHANNELS)[number];

/** A new number serves calls, as the server assumes when no channels are sent. */
export const DEFAULT_NUMBER_CHANNELS: readonly NumberChannel[] = ["voice"];

/**
 * `channels` with `channel` ticked (`on`) or unticked: each channel once, in NUMBER_CHANNELS order, and nothing a
 * number cannot serve. Unticking the last one gives an empty list, which the server refuses with a field message.
 */
export function withChannel(channels: readonly Channel[], channel: NumberChannel, on: boolean): NumberChannel[] {
  return NUMBER_CHANNELS.filter((c) => (c === channel ? on : channels.includes(c)));
}
