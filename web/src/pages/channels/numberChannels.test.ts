// The checkbox state of a number's channels: order, duplicates and the empty choice the server refuses.

import { describe, expect, test } from "vitest";
import { withChannel } from "./numberChannels";

describe("withChannel", () => {
  test("ticking adds the channel in the server's order", () => {
    expect(withChannel(["whatsapp"], "voice", true)).toEqual(["voice", "whatsapp"]);
    expect(withChannel(["voice"], "sms", true)).toEqual(["voice", "sms"]);
  });

  test("ticking a ticked channel changes nothing", () => {
    expect(withChannel(["voice", "sms"], "sms", true)).toEqual(["voice", "sms"]);
  });

  test("unticking removes only that channel", () => {
    expect(withChannel(["voice", "sms", "whatsapp"], "sms", false)).toEqual(["voice", "whatsapp"]);
  });

  test("unticking the last channel leaves the empty list for the server to refuse", () => {
    expect(withChannel(["voice"], "voice", false)).toEqual([]);
  });

  test("chat, which a number cannot serve, is dropped", () => {
    expect(withChannel(["chat", "voice"], "sms", true)).toEqual(["voice", "sms"]);
  });
});
