// The sign-in flow. The server decides each next step (`next`): the password, then a forced password change, TOTP
// enrolment (with the backup codes shown once) or the TOTP check. Each step is its own form whose first field takes
// focus, so the whole flow works from the keyboard.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError, asApiError, type Next, type TotpEnrolment } from "../api";
import { t, type MessageKey } from "../i18n";
import { ErrorAlert } from "../components/ErrorAlert";
import { Field } from "../components/Field";
import { CopyButton } from "../components/SecretOnce";

type Step =
  | { kind: "credentials" }
  | { kind: "change_password" }
  | { kind: "enrol_totp" }
  | { kind: "backup_codes"; codes: string[] }
  | { kind: "totp" };

interface Props {
  /** Set when the page is opened with a half-finished sign-in (a reload in the middle of the flow). */
  initialNext: Next | null;
  /** The user of a half-finished sign-in, if known. */
  initialUsername: string;
  /** Why the user is here again, e.g. a session that ended while the app was open. */
  notice: MessageKey | null;
  onSignedIn: () => Promise<void>;
}

function stepFor(next: Next | null): Step {
  switch (next) {
    case "change_password":
    case "enrol_totp":
    case "totp":
      return { kind: next };
    default:
      return { kind: "credentials" };
  }
}

export function LoginPage({ initialNext, initialUsername, notice, onSignedIn }: Props) {
  const [step, setStep] = useState<Step>(() => stepFor(initialNext));
  const [username, setUsername] = useState(initialUsername);
  const [finishError, setFinishError] = useState<ApiError | null>(null);

  useEffect(() => {
    document.title = `${t("login.title")} · ${t("app.name")}`;
  }, []);

  async function advance(next: Next) {
    if (next !== "done") {
      setStep(stepFor(next));
      return;
    }
    setFinishError(null);
    try {
      await onSignedIn();
    } catch (error) {
      setFinishError(asApiError(error));
    }
  }

  async function startOver() {
    // Drop the half-finished session on the server too; if that fails the next login replaces it anyway.
    try {
      await api.logout();
    } catch {
      /* nothing the user can do about it */
    }
    setStep({ kind: "credentials" });
  }

  return (
    <main className="centered">
      <div className="card login-card" data-testid={`login-step-${step.kind}`}>
        <p className="app-name">{t("app.name")}</p>
        {notice && step.kind === "credentials" && (
          <p role="status" className="notice" data-testid="login-notice">
            {t(notice)}
          </p>
        )}
        <ErrorAlert error={finishError} />
        {step.kind === "credentials" && <CredentialsStep onNext={advance} onUsername={setUsername} />}
        {step.kind === "change_password" && <ChangePasswordStep username={username} onNext={advance} />}
        {step.kind === "enrol_totp" && (
          <EnrolTotpStep onConfirmed={(codes) => setStep({ kind: "backup_codes", codes })} />
        )}
        {step.kind === "backup_codes" && <BackupCodesStep codes={step.codes} onDone={() => void advance("done")} />}
        {step.kind === "totp" && <TotpStep onNext={advance} />}
        {step.kind !== "credentials" && step.kind !== "backup_codes" && (
          <p className="start-over">
            <button type="button" className="link" onClick={() => void startOver()}>
              {t("login.startOver")}
            </button>
          </p>
        )}
      </div>
    </main>
  );
}

/** Runs a form submission with busy and error state; returns helpers for the step components. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, run };
}

function CredentialsStep({
  onNext,
  onUsername,
}: {
  onNext: (next: Next) => Promise<void>;
  onUsername: (username: string) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useSubmit();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const step = await api.login(username.trim(), password);
      setPassword("");
      onUsername(username.trim());
      await onNext(step.next);
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby="login-heading" noValidate>
      <h1 id="login-heading">{t("login.title")}</h1>
      <ErrorAlert error={error} fields={["username", "password"]} />
      <Field
        label={t("login.username")}
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        autoFocus
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        error={error?.fieldError("username")}
        data-testid="login-username"
      />
      <Field
        label={t("login.password")}
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={error?.fieldError("password")}
        data-testid="login-password"
      />
      <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
        {busy ? t("common.working") : t("login.submit")}
      </button>
    </form>
  );
}

/** New password twice; used by the forced change at first sign-in and (with the current password) on /account. */
/** The account name, hidden, ahead of the password fields, so password managers store the new password for it. */
export function HiddenUsername({ username }: { username: string }) {
  return <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />;
}

export function NewPasswordFields({
  value,
  repeat,
  onValue,
  onRepeat,
  error,
  mismatch,
  autoFocus,
}: {
  value: string;
  repeat: string;
  onValue: (v: string) => void;
  onRepeat: (v: string) => void;
  error: ApiError | null;
  mismatch: boolean;
  autoFocus?: boolean;
}) {
  return (
    <>
      <Field
        label={t("password.new")}
        name="new_password"
        type="password"
        autoComplete="new-password"
        required
        autoFocus={autoFocus}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        hint={t("password.rules")}
        error={error?.fieldError("new_password")}
        data-testid="new-password"
      />
      <Field
        label={t("password.repeat")}
        name="new_password_repeat"
        type="password"
        autoComplete="new-password"
        required
        value={repeat}
        onChange={(e) => onRepeat(e.target.value)}
        error={mismatch ? t("password.mismatch") : undefined}
        data-testid="new-password-repeat"
      />
    </>
  );
}

function ChangePasswordStep({ username, onNext }: { username: string; onNext: (next: Next) => Promise<void> }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const { busy, error, run } = useSubmit();

  function submit(event: FormEvent) {
    event.preventDefault();
    const differs = password !== repeat;
    setMismatch(differs);
    if (differs) return;
    void run(async () => {
      const step = await api.setPassword(password);
      await onNext(step.next);
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby="password-heading" noValidate>
      <HiddenUsername username={username} />
      <h1 id="password-heading">{t("password.forcedTitle")}</h1>
      <p>{t("password.forcedIntro")}</p>
      <ErrorAlert error={error} fields={["new_password"]} />
      <NewPasswordFields
        value={password}
        repeat={repeat}
        onValue={setPassword}
        onRepeat={setRepeat}
        error={error}
        mismatch={mismatch}
        autoFocus
      />
      <button type="submit" className="primary" disabled={busy} data-testid="new-password-submit">
        {busy ? t("common.working") : t("password.submit")}
      </button>
    </form>
  );
}

/** Groups a base32 secret in blocks of four so it can be typed into an authenticator by hand. */
function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}

/** `btoa` only takes Latin-1; the SVG goes through UTF-8 first so any character in it survives. */
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function EnrolTotpStep({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [code, setCode] = useState("");
  const { busy, error, run } = useSubmit();
  // Each enrol call makes a new secret; React's development double-mount must not ask twice.
  const requested = useRef(false);

  async function load() {
    setLoadError(null);
    try {
      setEnrolment(await api.enrolTotp());
    } catch (e) {
      setLoadError(asApiError(e));
    }
  }

  useEffect(() => {
    if (requested.current) return;
    requested.current = true;
    void load();
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const confirmed = await api.confirmTotp(code.replace(/\s+/g, ""));
      onConfirmed(confirmed.backup_codes);
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby="enrol-heading" noValidate>
      <h1 id="enrol-heading">{t("totp.enrolTitle")}</h1>
      <p>{t("totp.enrolIntro")}</p>
      {loadError && (
        <>
          <ErrorAlert error={loadError} />
          <button type="button" onClick={() => void load()}>
            {t("common.retry")}
          </button>
        </>
      )}
      {!enrolment && !loadError && <p className="muted">{t("common.loading")}</p>}
      {enrolment && (
        <>
          <img
            className="qr"
            src={`data:image/svg+xml;base64,${base64Utf8(enrolment.qr_svg)}`}
            alt={t("totp.qrAlt")}
            width={200}
            height={200}
            data-testid="totp-qr"
          />
          <p>{t("totp.manual")}</p>
          <p className="secret-row">
            <code className="secret" data-testid="totp-secret" data-secret={enrolment.secret}>
              {groupSecret(enrolment.secret)}
            </code>
            <CopyButton text={enrolment.secret} />
          </p>
          <p className="small">
            <a href={enrolment.otpauth_uri} data-testid="totp-uri">
              {t("totp.openApp")}
            </a>
          </p>
          <ErrorAlert error={error} fields={["code"]} />
          <Field
            label={t("totp.code")}
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={error?.fieldError("code")}
            data-testid="totp-code"
          />
          <button type="submit" className="primary" disabled={busy} data-testid="totp-confirm">
            {busy ? t("common.working") : t("totp.confirm")}
          </button>
        </>
      )}
    </form>
  );
}

function BackupCodesStep({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <section aria-labelledby="backup-heading">
      <h1 id="backup-heading">{t("backup.title")}</h1>
      <p>{t("backup.intro")}</p>
      <ol className="backup-codes" data-testid="backup-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <p className="secret-row">
        <CopyButton text={codes.join("\n")} label={t("backup.copyAll")} autoFocus />
      </p>
      <button type="button" className="primary" onClick={onDone} data-testid="backup-codes-done">
        {t("backup.stored")}
      </button>
    </section>
  );
}

function TotpStep({ onNext }: { onNext: (next: Next) => Promise<void> }) {
  const [useBackup, setUseBackup] = useState(false);
  const [value, setValue] = useState("");
  const { busy, error, setError, run } = useSubmit();
  // The field is keyed by its kind, so switching remounts it and autoFocus moves focus into the new field.
  function toggle() {
    setUseBackup((b) => !b);
    setValue("");
    setError(null);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const step = useBackup
        ? await api.verifyBackupCode(value.trim())
        : await api.verifyTotp(value.replace(/\s+/g, ""));
      await onNext(step.next);
    });
  }

  const field = useBackup ? "backup_code" : "code";
  return (
    <form onSubmit={submit} aria-labelledby="totp-heading" noValidate>
      <h1 id="totp-heading">{t("totp.title")}</h1>
      <p>{useBackup ? t("totp.backupIntro") : t("totp.intro")}</p>
      <ErrorAlert error={error} fields={[field]} />
      <Field
        key={field}
        label={useBackup ? t("totp.backupCode") : t("totp.code")}
        name={field}
        inputMode={useBackup ? "text" : "numeric"}
        autoComplete={useBackup ? "off" : "one-time-code"}
        autoCapitalize="none"
        spellCheck={false}
        required
        autoFocus
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={error?.fieldError(field)}
        data-testid={useBackup ? "backup-code" : "totp-code"}
      />
      <button type="submit" className="primary" disabled={busy} data-testid="totp-submit">
        {busy ? t("common.working") : t("totp.submit")}
      </button>
      <p>
        <button type="button" className="link" onClick={toggle} data-testid="totp-toggle-backup">
          {useBackup ? t("totp.useApp") : t("totp.useBackup")}
        </button>
      </p>
    </form>
  );
}
