// The server's field messages that the UI says anew in its own language: each is recognised (not the generic
// "invalid" sentence), so a German page never shows the English original.

import { describe, expect, test } from "vitest";
import { t } from "../i18n";
import { fieldSentence } from "./problems";

describe("field messages of the operator pages", () => {
  test.each([
    "this is not an audio file Hotline reads: upload WAV, MP3, Ogg Vorbis or Ogg Opus",
    "the recording is longer than 5 minutes",
    "the file holds no audio",
    "the mp3 file is damaged or uses a feature Hotline cannot decode",
    "the file has 21 MB; a prompt file has at most 20 MB",
    "a prompt's name has 1 to 64 characters: lower-case letters, digits, - _ and ., starting with a letter or digit",
    "speech is synthesised in de or en",
    'the flow does not speak "fr"',
    "a simulation replays at most 200 inputs",
    "the end of the period comes after its start",
    "not a page position this list gave out",
    "at least one of voice, sms, whatsapp",
    "voice, sms or whatsapp (web chat runs through widgets)",
  ])("%s", (message) => {
    expect(fieldSentence(message)).not.toBe(t("field.invalid"));
  });
});
