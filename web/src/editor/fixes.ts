// One line per finding of the validator and linter: what to do about it, in the UI's language. Typed against the
// server's list of codes (api.gen.ts), so a new code without a fix fails the type check.

import type { Diagnostic } from "../api";
import { lang } from "../i18n";

type Code = Diagnostic["code"];

const EN: Record<Code, string> = {
  "format-version": "Set `flow: 1` at the top of the flow.",
  parse: "Correct the text where the message says (switch to Text), or undo the last change.",
  "invalid-id": "Rename the node: 1–64 characters of a–z, 0–9, `_` and `-`.",
  "duplicate-id": "Give one of the two nodes another id.",
  "unknown-start": "Choose a node and press “Start the flow here”.",
  "dangling-transition": "Connect this way out to a node (drag from its handle, or pick one under “Goes on to”).",
  "unreachable-node": "Connect a way out of another node to it, or delete it.",
  "missing-timeout-branch": "Connect “no input” (or “timeout”) to what should happen when the caller says nothing.",
  "loop-without-input": "Put a question or a menu in the loop, or lead it out to an end.",
  "invalid-regex": "Correct the pattern (a regular expression).",
  "unknown-intent": "Pick one of the flow's intents, or add the intent first.",
  "unknown-calendar": "Pick one of the flow's calendars, or add the calendar first.",
  "invalid-calendar": "Correct the calendar: a time zone such as Europe/Berlin and hours like 08:00-20:00.",
  "missing-text": "Write the text for every language the flow speaks.",
  "unknown-language": "Use one of the flow's languages, or add the language to the flow.",
  "menu-empty": "Add at least one option.",
  "duplicate-digit": "Give each option a digit of its own.",
  "invalid-digit": "Use a single key: 0–9, * or #.",
  "return-outside-subflow": "Use “Return” only in a part that a “Subflow” node runs; otherwise use “End”.",
  "invalid-test": "Correct the test in the flow's text: each step sends text or digits and names what it expects.",
  "missing-audio": "Upload the recording under Prompts with this name, or pick one of the uploaded prompts.",
  "menu-too-long": "Keep a menu to 5 options or fewer: split it into two levels or let callers say what they need.",
  "menu-too-deep": "Keep menus to 3 levels: move deep options up or offer them by words.",
  "no-path-to-human": "Add a way to a person: an option or a fallback that leads to “Hand over to a person”.",
  "bot-not-disclosed": "Say in the first message that this is a bot, not a person.",
  "ask-without-fallback": "Connect “no input” and “no match” so a caller who is not understood still gets help.",
  "menu-without-repeat": "Offer a key or word that repeats the options (for example 9 or “again”).",
  "menu-without-fallback": "Connect “no input” and “no match”, so nobody is left without an answer.",
};

const DE: Record<Code, string> = {
  "format-version": "Setzen Sie `flow: 1` an den Anfang des Ablaufs.",
  parse: "Korrigieren Sie den Text an der genannten Stelle (Ansicht „Text“) oder machen Sie die letzte Änderung rückgängig.",
  "invalid-id": "Benennen Sie den Knoten um: 1–64 Zeichen aus a–z, 0–9, `_` und `-`.",
  "duplicate-id": "Geben Sie einem der beiden Knoten eine andere Kennung.",
  "unknown-start": "Wählen Sie einen Knoten und drücken Sie „Ablauf hier beginnen“.",
  "dangling-transition": "Verbinden Sie diesen Weg mit einem Knoten (vom Anschluss ziehen oder unter „Geht weiter zu“ wählen).",
  "unreachable-node": "Verbinden Sie einen Weg eines anderen Knotens mit ihm, oder löschen Sie ihn.",
  "missing-timeout-branch": "Verbinden Sie „no input“ (oder „timeout“) mit dem, was geschehen soll, wenn niemand antwortet.",
  "loop-without-input": "Setzen Sie eine Frage oder ein Menü in die Schleife oder führen Sie sie zu einem Ende.",
  "invalid-regex": "Korrigieren Sie das Muster (einen regulären Ausdruck).",
  "unknown-intent": "Wählen Sie ein Anliegen des Ablaufs, oder legen Sie es zuerst an.",
  "unknown-calendar": "Wählen Sie einen Kalender des Ablaufs, oder legen Sie ihn zuerst an.",
  "invalid-calendar": "Korrigieren Sie den Kalender: eine Zeitzone wie Europe/Berlin und Zeiten wie 08:00-20:00.",
  "missing-text": "Schreiben Sie den Text für jede Sprache des Ablaufs.",
  "unknown-language": "Verwenden Sie eine Sprache des Ablaufs, oder fügen Sie sie dem Ablauf hinzu.",
  "menu-empty": "Fügen Sie mindestens eine Option hinzu.",
  "duplicate-digit": "Geben Sie jeder Option eine eigene Taste.",
  "invalid-digit": "Verwenden Sie eine einzelne Taste: 0–9, * oder #.",
  "return-outside-subflow": "„Rückkehr“ nur in einem Teil verwenden, den ein „Teilablauf“ ausführt; sonst „Ende“.",
  "invalid-test": "Korrigieren Sie den Test im Text des Ablaufs: jeder Schritt sendet Text oder Tasten und nennt, was er erwartet.",
  "missing-audio": "Laden Sie die Aufnahme unter „Ansagen“ mit diesem Namen hoch oder wählen Sie eine hochgeladene Ansage.",
  "menu-too-long": "Höchstens 5 Optionen pro Menü: auf zwei Ebenen verteilen oder Anliegen per Sprache erfragen.",
  "menu-too-deep": "Höchstens 3 Menüebenen: tiefe Optionen nach oben holen oder per Sprache anbieten.",
  "no-path-to-human": "Schaffen Sie einen Weg zu einem Menschen: eine Option oder ein Fallback zu „An eine Person übergeben“.",
  "bot-not-disclosed": "Sagen Sie in der ersten Nachricht, dass hier ein Bot antwortet, kein Mensch.",
  "ask-without-fallback": "Verbinden Sie „no input“ und „no match“, damit auch unverstandene Anrufende Hilfe bekommen.",
  "menu-without-repeat": "Bieten Sie eine Taste oder ein Wort zum Wiederholen an (etwa 9 oder „nochmal“).",
  "menu-without-fallback": "Verbinden Sie „no input“ und „no match“, damit niemand ohne Antwort bleibt.",
};

/** What to do about a finding. */
export function fixFor(code: Code): string {
  return (lang === "de" ? DE : EN)[code];
}
