// The desk and the supervisor view say what went wrong in a sentence of the UI's language, chosen from the problem's
// type (`urn:hotline:problem:already-taken`) or, failing that, its status. The server's own title and detail are
// English and may quote a JSON parser; neither is shown here. The request id stays, for reports. Field errors (422)
// become sentences too: the server's messages for each field are a fixed set (the validators in crates/app), so each
// known one is recognised and said anew; one this UI does not know is said generically, never quoted.

import { ApiError, asApiError } from "../api";
import { t, type MessageKey } from "../i18n";

const BY_SLUG: Record<string, MessageKey> = {
  "already-taken": "problem.alreadyTaken",
  "offer-expired": "problem.offerExpired",
  "not-offered": "problem.notOffered",
  "conversation-closed": "problem.conversationClosed",
  closed: "problem.conversationClosed",
  "no-capacity": "problem.noCapacity",
  "at-capacity": "problem.noCapacity",
  "agent-unavailable": "problem.agentUnavailable",
  "agent-busy": "problem.agentBusy",
  "task-finished": "problem.taskFinished",
  "not-yours": "problem.notYours",
  "queue-in-use": "problem.queueInUse",
  "not-waiting": "problem.notWaiting",
  origin: "problem.forbidden",
  forbidden: "problem.forbidden",
  "not-found": "problem.notFound",
  "rate-limited": "problem.rateLimited",
  validation: "problem.invalid",
  "too-large": "problem.tooLarge",
  "stale-draft": "problem.staleDraft",
  "invalid-credentials": "problem.invalidCredentials",
  unauthenticated: "problem.unauthenticated",
  "wrong-step": "problem.wrongStep",
  "invalid-code": "problem.invalidCode",
  csrf: "problem.csrf",
  "malformed-json": "problem.invalid",
  "invalid-body": "problem.invalid",
  "invalid-id": "problem.notFound",
  "invalid-flow": "problem.invalidFlow",
  "method-not-allowed": "problem.invalid",
  "unsupported-media-type": "problem.invalid",
  "data-unreadable": "problem.dataUnreadable",
  internal: "problem.server",
  "prompt-in-use": "problem.promptInUse",
  "no-speech-engine": "problem.noSpeechEngine",
  "disable-first": "problem.disableFirst",
  "own-account": "problem.ownAccount",
  "holds-conversations": "problem.holdsConversations",
  "no-proxy-number": "problem.noProxyNumber",
  "no-phone-number": "problem.noPhoneNumber",
  "number-not-allowed": "problem.numberNotAllowed",
  "not-your-conversation": "problem.notYourConversation",
  "already-closed": "problem.alreadyClosed",
};

function byStatus(status: number): MessageKey {
  if (status === 0) return "error.network";
  if (status === 403) return "problem.forbidden";
  if (status === 404) return "problem.notFound";
  if (status === 409) return "problem.conflict";
  if (status === 413) return "problem.tooLarge";
  if (status === 429) return "problem.rateLimited";
  if (status >= 500) return "problem.server";
  return "problem.invalid";
}

/** The last segment of a problem type: `urn:hotline:problem:already-taken` → `already-taken`. */
export function problemSlug(type: string | undefined): string {
  return (type ?? "").split(/[:/]/).filter(Boolean).at(-1) ?? "";
}

/**
 * The error as one sentence in the UI's language, keeping the status, request id and Retry-After. `byStatusHere`
 * says what a status means for this particular action (a 409 on sending a message: the conversation has ended)
 * when the problem's type has no sentence of its own.
 */
export function localProblem(
  error: unknown,
  byStatusHere: Partial<Record<number, MessageKey>> = {},
  /** Fields whose errors the form shows next to its own controls; the others are said in the alert. */
  shownFields: readonly string[] = [],
): ApiError {
  const e = asApiError(error);
  const key = BY_SLUG[problemSlug(e.problem.type)] ?? byStatusHere[e.status] ?? byStatus(e.status);
  const others = (e.problem.errors ?? [])
    .filter((f) => !shownFields.includes(f.field))
    .map((f) => fieldSentence(f.message));
  const detail = [...new Set(others)].join(" ") || undefined;
  return new ApiError(
    { type: e.problem.type, status: e.status, title: t(key), detail, request_id: e.problem.request_id },
    e.retryAfter,
    true,
  );
}

/** Options for saying a field error. */
export interface FieldSentenceOptions {
  /** The line of a text box that item `index` of a list came from (1-based), when the form dropped blank lines. */
  lineOf?: (index: number) => number;
}

type Sentence = (match: RegExpExecArray, options: FieldSentenceOptions) => string;

const lineOf = (index: string | undefined, options: FieldSentenceOptions) => {
  const i = Number(index ?? 0);
  return String(options.lineOf ? options.lineOf(i) : i + 1);
};

/** The server's field messages this UI knows, each with the sentence that says it in the UI's language. */
const FIELD_MESSAGES: [RegExp, Sentence][] = [
  [/lacks the skills or language/, () => t("field.skillMismatch")],
  [/no such queue/, () => t("field.noSuchQueue")],
  [/no such agent/, () => t("field.noSuchAgent")],
  [/not a user id/, () => t("field.noSuchAgent")],
  [/role does not handle conversations/, () => t("field.notAnAgent")],
  [/levels are 0 to 10/, () => t("field.skillLevels")],
  [/at most 10 calls and 50 chats/, () => t("field.capacity")],
  [/^1 to 64 letters, digits, '-', '_' or '\.'/, () => t("queue.nameHint")],
  [/^1 to 64 letters, digits, '-' or '_'/, () => t("field.cannedId")],
  [/at most 500 queues/, () => t("field.tooManyQueues")],
  [/cannot overflow to itself|overflow leads back/, () => t("field.overflow")],
  [/crisis term (\d+) is empty/, (m, o) => t("field.crisisTermEmpty", { line: lineOf(m[1], o) })],
  [
    /crisis term (\d+) is (\d+) characters long/,
    (m, o) => t("field.crisisTermLong", { line: lineOf(m[1], o), chars: m[2] ?? "" }),
  ],
  [/crisis terms in all|at most 500 terms/, () => t("field.crisisTermsMany")],
  [/a language tag and a text of 1 to 2000 bytes/, () => t("field.crisisText")],
  [/between 1 and 3600 seconds/, () => t("field.offerTimeout")],
  [/at most 3600 seconds/, () => t("field.atMostHour")],
  [/at least 1 second, or none/, () => t("field.maxWait")],
  [/at most 50 codes/, () => t("field.codes")],
  [/must not be empty/, () => t("field.empty")],
  [/at most (\d+) bytes/, (m) => t("field.tooLong", { max: m[1] ?? "" })],
  [/control characters/, () => t("field.control")],
  [/^name a queue or an agent/, () => t("field.moveTarget")],
  [/not an audio file Hotline reads/, () => t("prompts.notAudio")],
  [/longer than 5 minutes/, () => t("field.audioTooLong")],
  [/holds no audio/, () => t("field.audioEmpty")],
  [/is damaged or uses a feature/, () => t("field.audioDamaged")],
  [/the file has (\d+) MB/, (m) => t("prompts.tooLarge", { mb: m[1] ?? "" })],
  [/a prompt's name has 1 to 64 characters/, () => t("prompts.nameRule")],
  [/write the text to hear|write a sentence to try/, () => t("field.empty")],
  [/speech is synthesised in de or en/, () => t("field.speechLanguage")],
  [/the flow does not speak/, () => t("field.flowLanguage")],
  [/replays at most (\d+) inputs/, (m) => t("field.tooManyInputs", { max: m[1] ?? "" })],
  [/the end of the period comes after its start/, () => t("field.period")],
  [/not a page position/, () => t("field.page")],
  [/^at least one of voice, sms, whatsapp/, () => t("field.channelsNone")],
  [/web chat runs through widgets/, () => t("field.channelsChat")],
];

/** One field error as a sentence of the UI's language (a generic one for a message this UI does not know). */
export function fieldSentence(message: string, options: FieldSentenceOptions = {}): string {
  for (const [pattern, say] of FIELD_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return say(match, options);
  }
  return t("field.invalid");
}

/** The field errors of a 422 as sentences, by field name, for the form to show next to its controls. */
export function localFieldErrors(error: unknown, options: FieldSentenceOptions = {}): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!(error instanceof ApiError)) return errors;
  for (const f of error.problem.errors ?? []) {
    const sentence = fieldSentence(f.message, options);
    errors[f.field] = errors[f.field] && errors[f.field] !== sentence ? `${errors[f.field]} ${sentence}` : sentence;
  }
  return errors;
}

/** Whether the error is the problem `slug`. */
export function isProblem(error: unknown, slug: string): boolean {
  return error instanceof ApiError && problemSlug(error.problem.type) === slug;
}

/** "What could not be done" as the title and the localised reason as the detail, for a page that cannot show itself. */
export function unavailable(what: MessageKey, error: unknown): ApiError {
  const reason = localProblem(error);
  return new ApiError({ ...reason.problem, title: t(what), detail: reason.problem.title }, reason.retryAfter, true);
}
