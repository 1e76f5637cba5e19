// Writing in a conversation: the reply to the caller (Enter sends, Shift+Enter starts a new line) with canned
// answers that insert at the cursor, and, apart from it and marked as such, the internal note that the caller never
// sees. A text stays in its box until the server has taken it, so a failed send loses nothing.

import { useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode, type RefObject } from "react";
import type { ApiError, CannedResponse } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { localProblem } from "../../contact/problems";
import { t, type MessageKey } from "../../i18n";

interface Props {
  canned: readonly CannedResponse[];
  language: string | null;
  onSend: (text: string) => Promise<void>;
  onNote: (text: string) => Promise<void>;
}

export function Composer({ canned, language, onSend, onNote }: Props) {
  const reply = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState("");

  function insert(snippet: string) {
    const el = reply.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + snippet + text.slice(end);
    setText(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + snippet.length, start + snippet.length);
    });
  }

  // Answers in the conversation's language first; if there are none in it, all of them.
  const matching = canned.filter((c) => !c.language || !language || c.language === language);
  const offered = matching.length > 0 ? matching : canned;

  return (
    <>
      <TextForm
        kind="reply"
        label="desk.reply"
        hint="desk.replyHint"
        submit="desk.send"
        text={text}
        setText={setText}
        textarea={reply}
        onSubmit={onSend}
        extra={
          offered.length > 0 && (
            <select
              className="canned"
              aria-label={t("desk.canned")}
              value=""
              onChange={(e) => {
                const answer = offered.find((c) => c.id === e.target.value);
                if (answer) insert(answer.text);
              }}
              data-testid="canned-select"
            >
              <option value="">{t("desk.canned")}</option>
              {offered.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                </option>
              ))}
            </select>
          )
        }
      />
      <NoteForm onNote={onNote} />
    </>
  );
}

export function NoteForm({ onNote }: { onNote: (text: string) => Promise<void> }) {
  const [text, setText] = useState("");
  const area = useRef<HTMLTextAreaElement>(null);
  return (
    <div className="note-form">
      <TextForm
        kind="note"
        label="desk.note"
        hint="desk.noteHint"
        submit="desk.addNote"
        text={text}
        setText={setText}
        textarea={area}
        onSubmit={onNote}
      />
    </div>
  );
}

/** After the conversation, an SMS to the caller from one of the tenant's proxy numbers: neither side sees the other's
 *  number, and the caller's answer comes back into this conversation. */
export function FollowUpForm({ onSend }: { onSend: (text: string) => Promise<void> }) {
  const [text, setText] = useState("");
  const area = useRef<HTMLTextAreaElement>(null);
  return (
    <div className="follow-up-form">
      <TextForm
        kind="followup"
        label="desk.followUp"
        hint="desk.followUpHint"
        submit="desk.followUpSend"
        text={text}
        setText={setText}
        textarea={area}
        onSubmit={onSend}
      />
    </div>
  );
}

interface TextFormProps {
  kind: "reply" | "note" | "followup";
  label: MessageKey;
  hint: MessageKey;
  submit: MessageKey;
  text: string;
  setText: (text: string) => void;
  textarea: RefObject<HTMLTextAreaElement | null>;
  onSubmit: (text: string) => Promise<void>;
  extra?: ReactNode;
}

function TextForm({ kind, label, hint, submit, text, setText, textarea, onSubmit, extra }: TextFormProps) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function send(event?: FormEvent) {
    event?.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(value);
      setText("");
    } catch (e) {
      // A follow-up's refusals say their own reason (no proxy number, no number kept).
      setError(kind === "followup" ? localProblem(e) : localProblem(e, { 409: "problem.conversationClosed" }));
    } finally {
      setBusy(false);
      textarea.current?.focus();
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  }

  return (
    <form className={`composer composer-${kind}`} onSubmit={(e) => void send(e)} noValidate>
      <ErrorAlert error={error} />
      <label htmlFor={id}>{t(label)}</label>
      <textarea
        id={id}
        ref={textarea}
        rows={kind === "reply" ? 3 : 2}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`${id}-hint`}
        data-testid={`${kind}-input`}
      />
      <p id={`${id}-hint`} className="hint">
        {t(hint)}
      </p>
      <div className="toolbar">
        <button type="submit" className={kind === "reply" ? "primary" : undefined} disabled={busy || !text.trim()} data-testid={`${kind}-submit`}>
          {busy ? t("common.working") : t(submit)}
        </button>
        {extra}
      </div>
    </form>
  );
}
