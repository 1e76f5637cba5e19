// Every text the widget shows, in English and German. The language follows the browser (navigator.language starting
// with "de" → German, anything else → English), not the host page, because the caller reads the widget, not the page.
// The German table is typed against the English one, so a missing key fails the type check.

const en = {
  launcherDefault: "Chat",
  titleDefault: "Chat",
  close: "Close chat",
  input: "Your message",
  placeholder: "Write a message…",
  send: "Send",
  choices: "Answer options",
  // Visible sender labels and the text a screen reader reads in front of each message.
  labelBot: "Bot",
  labelAgent: "Counsellor",
  srBot: "Automated message from the bot:",
  srAgent: "Message from a counsellor:",
  srUser: "You:",
  srSystem: "Notice:",
  stateSending: "Sending…",
  stateSent: "Sent",
  stateFailed: "Not sent",
  retry: "Send again",
  typingBot: "The bot is typing…",
  typingAgent: "A counsellor is typing…",
  connecting: "Connecting…",
  reconnecting: "Connection lost. Reconnecting…",
  unavailable: "The chat is not available right now. Please try again later.",
  emergency: "In an emergency, call 112 (Europe) or your local emergency number.",
  tryAgain: "Try again",
  queued: "Waiting for a counsellor. Please stay in the chat.",
  ended: "This conversation has ended.",
  restart: "Start a new conversation",
  unread: "New message",
  tooLong: "Your message is too long. Please shorten it to at most {max} characters and send it again.",
  errRateLimited: "You are sending messages too quickly. Please wait a moment and try again.",
  errTooLarge: "Your message is too long. Please shorten it and send it again.",
  errMalformed: "The message could not be processed. Please try again.",
  errUnknown: "Something went wrong. Please try again.",
};

export type TextKey = keyof typeof en;
export type Texts = Record<TextKey, string>;

const de: Texts = {
  launcherDefault: "Chat",
  titleDefault: "Chat",
  close: "Chat schließen",
  input: "Ihre Nachricht",
  placeholder: "Nachricht schreiben…",
  send: "Senden",
  choices: "Antwortmöglichkeiten",
  labelBot: "Assistent",
  labelAgent: "Beratung",
  srBot: "Automatische Nachricht vom Assistenten (Bot):",
  srAgent: "Nachricht von der Beratung:",
  srUser: "Sie:",
  srSystem: "Hinweis:",
  stateSending: "Wird gesendet…",
  stateSent: "Gesendet",
  stateFailed: "Nicht gesendet",
  retry: "Erneut senden",
  typingBot: "Der Assistent schreibt…",
  typingAgent: "Die Beratung schreibt…",
  connecting: "Verbindung wird aufgebaut…",
  reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
  unavailable: "Der Chat ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal.",
  emergency: "Im Notfall wählen Sie 112.",
  tryAgain: "Erneut versuchen",
  queued: "Sie warten auf eine Beraterin oder einen Berater. Bitte bleiben Sie im Chat.",
  ended: "Dieses Gespräch ist beendet.",
  restart: "Neues Gespräch beginnen",
  unread: "Neue Nachricht",
  tooLong: "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie auf höchstens {max} Zeichen und senden Sie sie erneut.",
  errRateLimited: "Sie senden gerade sehr schnell. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
  errTooLarge: "Ihre Nachricht ist zu lang. Bitte kürzen Sie sie und senden Sie sie erneut.",
  errMalformed: "Die Nachricht konnte nicht verarbeitet werden. Bitte versuchen Sie es erneut.",
  errUnknown: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
};

export type Lang = "de" | "en";

/** The widget's language from the browser's preferred language. */
export function browserLang(): Lang {
  return (navigator.language || "").toLowerCase().startsWith("de") ? "de" : "en";
}

/** A language tag the widget has texts for (`de`, `de-AT`, `en-GB`), or null. */
export function asLang(tag: string | undefined): Lang | null {
  const base = (tag ?? "").toLowerCase().split(/[-_]/)[0];
  return base === "de" || base === "en" ? base : null;
}

export function textsFor(lang: Lang): Texts {
  return lang === "de" ? de : en;
}

/** Replaces `{name}` placeholders. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
