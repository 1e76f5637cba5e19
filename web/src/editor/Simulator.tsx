// The simulator beside the canvas: the operator talks to the draft on screen as a caller would, on chat or on the
// phone (a keypad for keys). The server replays the whole conversation on every turn (POST /flows/simulate), so an
// edit of the draft shows at once in the same conversation. Each turn shows the path it took (highlighted on the
// canvas), what the understanding made of the sentence, and the variables after it. The flow's `tests:` run here
// too.

import { useEffect, useMemo, useState } from "react";
import { api, asApiError, type ApiError } from "../api";
import type * as Gen from "../api.gen";
import { ErrorAlert } from "../components/ErrorAlert";
import { t } from "../i18n";

const REPLAY_DELAY_MS = 300;
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

type Input = Gen.SimInputDto;
type Turn = Gen.SimTurnDto;

interface Props {
  source: string;
  languages: string[];
  /** The nodes the conversation went through, and the one it waits at, for the canvas. */
  onPath: (path: { visited: string[]; current: string | null }) => void;
  onSelect: (node: string) => void;
}

export function Simulator({ source, languages, onPath, onSelect }: Props) {
  const [channel, setChannel] = useState<"chat" | "voice">("chat");
  const [language, setLanguage] = useState(languages[0] ?? "");
  const [inputs, setInputs] = useState<Input[]>([]);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [errors, setErrors] = useState<Gen.SimulateResponse["errors"]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [text, setText] = useState("");
  const [keys, setKeys] = useState("");
  const [http, setHttp] = useState({ status: "200", body: "{}" });
  const [tests, setTests] = useState<Gen.TestRunDto | null>(null);
  const [testsBusy, setTestsBusy] = useState(false);
  const [shown, setShown] = useState<number | null>(null);

  // The conversation is replayed whenever the draft, the channel, the language or the inputs change.
  useEffect(() => {
    let current = true;
    const timer = window.setTimeout(() => {
      api
        .simulateFlow({ source, channel, language: language || null, inputs })
        .then((r) => {
          if (!current) return;
          setErrors(r.errors);
          setTurns(r.turns);
          setError(null);
        })
        .catch((e: unknown) => current && setError(asApiError(e)));
    }, REPLAY_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [source, channel, language, inputs]);

  const last = turns.at(-1);
  const state = last?.state;
  useEffect(() => {
    const visited = turns.flatMap((turn) => turn.path);
    onPath({ visited, current: state && state.waiting !== "ended" ? state.node : null });
  }, [turns, state, onPath]);
  // Leaving the simulator clears the highlight.
  useEffect(() => () => onPath({ visited: [], current: null }), [onPath]);

  const send = (input: Input) => setInputs((all) => [...all, input]);
  const restart = () => {
    setInputs([]);
    setShown(null);
  };
  const ended = state?.waiting === "ended";
  const waitsForHttp = state?.waiting === "http";

  async function runTests() {
    setTestsBusy(true);
    try {
      setTests(await api.testFlow(source));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setTestsBusy(false);
    }
  }

  const passed = useMemo(() => tests?.results.filter((r) => r.passed).length ?? 0, [tests]);

  return (
    <div className="simulator" data-testid="simulator">
      <div className="simulator-setup">
        <fieldset className="segmented">
          <legend className="visually-hidden">{t("sim.channel")}</legend>
          {(["chat", "voice"] as const).map((c) => (
            <label key={c}>
              <input
                type="radio"
                name="sim-channel"
                checked={channel === c}
                onChange={() => {
                  setChannel(c);
                  restart();
                }}
                data-testid={`sim-channel-${c}`}
              />
              {c === "chat" ? t("sim.chat") : t("sim.voice")}
            </label>
          ))}
        </fieldset>
        {languages.length > 1 && (
          <label>
            <span className="visually-hidden">{t("sim.language")}</span>
            <select
              value={language}
              onChange={(e) => {
                setLanguage(e.target.value);
                restart();
              }}
              data-testid="sim-language"
            >
              {languages.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" onClick={restart} data-testid="sim-restart">
          {t("sim.restart")}
        </button>
      </div>
      <ErrorAlert error={error} />
      {errors.length > 0 && (
        <p className="alert" data-testid="sim-errors">
          {t("sim.fixFirst", { n: String(errors.length) })}
        </p>
      )}

      <ol className="sim-transcript" data-testid="sim-transcript" aria-live="polite">
        {turns.map((turn, i) => (
          <li key={i} className="sim-turn" data-testid={`sim-turn-${i}`}>
            {turn.input && <p className="sim-caller">{describeInput(turn.input)}</p>}
            {turn.refused && (
              <p className="sim-refused" data-testid="sim-refused">
                {t(`sim.refused.${turn.refused}` as "sim.refused.ended")}
              </p>
            )}
            {turn.understood.map((u, k) => (
              <p key={k} className="sim-understood" data-testid="sim-understood">
                {u.intent
                  ? t("sim.intent", { intent: u.intent, confidence: percent(u.confidence) })
                  : t("sim.outOfScope", { confidence: percent(u.confidence) })}
              </p>
            ))}
            {turn.replies.map((r, k) => (
              <div key={k} className="sim-bot" data-testid="sim-reply">
                <p>{r.audio ? `🔊 ${r.audio} — ${r.text}` : r.text}</p>
                {channel === "chat" && r.choices.length > 0 && i === turns.length - 1 && !ended && (
                  <p className="sim-choices">
                    {r.choices.map((c) => (
                      <button key={c} type="button" onClick={() => send({ kind: "text", text: c })}>
                        {c}
                      </button>
                    ))}
                  </p>
                )}
              </div>
            ))}
            {turn.actions.map((a, k) => (
              <p key={k} className="sim-action" data-testid={`sim-action-${a.kind}`}>
                {t(`sim.action.${a.kind}` as "sim.action.end", { detail: a.kind === "end" ? t(`sim.reason.${a.detail}` as "sim.reason.failed") : a.detail })}
              </p>
            ))}
            {turn.path.length > 0 && (
              <p className="sim-path small">
                {t("sim.path")}{" "}
                {turn.path.map((node, k) => (
                  <span key={k}>
                    {k > 0 && " → "}
                    <button type="button" className="link" onClick={() => onSelect(node)}>
                      {node}
                    </button>
                  </span>
                ))}
              </p>
            )}
            <button type="button" className="link small" onClick={() => setShown(shown === i ? null : i)}>
              {shown === i ? t("sim.hideVariables") : t("sim.showVariables")}
            </button>
            {shown === i && (
              <dl className="sim-variables" data-testid="sim-variables">
                {Object.entries(turn.variables).map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            )}
          </li>
        ))}
      </ol>

      {state && (
        <p className="sim-state small" data-testid="sim-state">
          {stateText(state)}
        </p>
      )}

      {!ended && errors.length === 0 && (
        <div className="sim-input">
          {waitsForHttp ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                send({ kind: "http", status: Number(http.status) || 0, body: http.body });
              }}
            >
              <p className="small">{t("sim.httpHint")}</p>
              <label>
                {t("sim.httpStatus")}
                <input
                  inputMode="numeric"
                  value={http.status}
                  onChange={(e) => setHttp({ ...http, status: e.target.value })}
                  data-testid="sim-http-status"
                />
              </label>
              <label>
                {t("sim.httpBody")}
                <textarea rows={3} value={http.body} onChange={(e) => setHttp({ ...http, body: e.target.value })} data-testid="sim-http-body" />
              </label>
              <button type="submit" data-testid="sim-http-send">
                {t("sim.httpSend")}
              </button>
            </form>
          ) : (
            <>
              <form
                className="sim-text"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!text.trim()) return;
                  send({ kind: "text", text });
                  setText("");
                }}
              >
                <label>
                  <span className="visually-hidden">{channel === "voice" ? t("sim.say") : t("sim.write")}</span>
                  <input
                    value={text}
                    maxLength={500}
                    placeholder={channel === "voice" ? t("sim.say") : t("sim.write")}
                    onChange={(e) => setText(e.target.value)}
                    data-testid="sim-text"
                  />
                </label>
                <button type="submit" data-testid="sim-send">
                  {t("sim.send")}
                </button>
              </form>
              {channel === "voice" && (
                <div className="sim-keypad" role="group" aria-label={t("sim.keypad")}>
                  <output data-testid="sim-keys">{keys || "\u00a0"}</output>
                  <div className="keys">
                    {KEYS.map((k) => (
                      <button key={k} type="button" onClick={() => setKeys(keys + k)} data-testid={`sim-key-${k}`}>
                        {k}
                      </button>
                    ))}
                  </div>
                  <button
                    type="button"
                    disabled={!keys}
                    onClick={() => {
                      send({ kind: "digits", digits: keys });
                      setKeys("");
                    }}
                    data-testid="sim-keys-send"
                  >
                    {t("sim.pressKeys")}
                  </button>
                  <button type="button" disabled={!keys} onClick={() => setKeys("")}>
                    {t("sim.clearKeys")}
                  </button>
                </div>
              )}
              <p className="sim-more">
                <button type="button" onClick={() => send({ kind: "silence" })} data-testid="sim-silence">
                  {t("sim.silence")}
                </button>
                <button type="button" onClick={() => send({ kind: "hangup" })} data-testid="sim-hangup">
                  {channel === "voice" ? t("sim.hangUp") : t("sim.close")}
                </button>
              </p>
            </>
          )}
        </div>
      )}

      <section className="sim-tests">
        <h3>{t("sim.tests")}</h3>
        <button type="button" onClick={() => void runTests()} disabled={testsBusy} data-testid="sim-run-tests">
          {t("sim.runTests")}
        </button>
        {tests && tests.errors.length > 0 && <p className="alert">{t("sim.fixFirst", { n: String(tests.errors.length) })}</p>}
        {tests && tests.errors.length === 0 && (
          <>
            <p data-testid="sim-tests-summary">
              {tests.results.length === 0
                ? t("sim.noTests")
                : t("sim.testsPassed", { passed: String(passed), total: String(tests.results.length) })}
            </p>
            <ul className="sim-test-results">
              {tests.results.map((r) => (
                <li key={r.name} className={r.passed ? "passed" : "failed"} data-testid={`sim-test-${r.passed ? "passed" : "failed"}`}>
                  {r.passed ? "✓" : "✗"} {r.name}
                  {r.failures.map((f, k) => (
                    <pre key={k}>{f}</pre>
                  ))}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}

function percent(p: number): string {
  return `${Math.round(p * 100)} %`;
}

function describeInput(input: Input): string {
  switch (input.kind) {
    case "text":
      return input.text;
    case "digits":
      return t("sim.pressed", { keys: input.digits });
    case "silence":
      return t("sim.silent");
    case "http":
      return t("sim.httpAnswered", { status: String(input.status) });
    case "hangup":
      return t("sim.hungUp");
  }
}

function stateText(state: Gen.SimStateDto): string {
  switch (state.waiting) {
    case "input":
      return t("sim.waitsInput", { node: state.node });
    case "http":
      return t("sim.waitsHttp", { node: state.node });
    case "recording":
      return t("sim.waitsRecording", { node: state.node });
    case "queue":
      return t("sim.waitsQueue", { queue: state.queue ?? "" });
    case "transfer":
      return t("sim.waitsTransfer", { node: state.node });
    default:
      return t("sim.ended", { reason: t(`sim.reason.${state.ended ?? "failed"}` as "sim.reason.failed") });
  }
}
