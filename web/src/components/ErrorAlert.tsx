// Shows an RFC 9457 problem: its title, detail and any field errors no form field has claimed, plus Retry-After.

import type { ApiError } from "../api";
import { localProblem } from "../contact/problems";
import { lang, retryAfterText, t } from "../i18n";

interface Props {
  error: ApiError | null;
  /** Field names the surrounding form shows inline; their errors are not repeated here. */
  fields?: readonly string[];
}

export function ErrorAlert({ error, fields = [] }: Props) {
  // The live region is always in the document so screen readers announce content that appears in it.
  return (
    <div role="alert" className={error ? "alert" : "alert-empty"} data-testid="error">
      {error && <ProblemText error={error} fields={fields} />}
    </div>
  );
}

function ProblemText({ error: raw, fields }: { error: ApiError; fields: readonly string[] }) {
  // The server speaks English; a German page says the problem in German (its request id and Retry-After kept).
  const error = lang === "en" || raw.localized ? raw : localProblem(raw, {}, fields);
  const { title, detail, errors = [], request_id } = error.problem;
  const unclaimed = errors.filter((e) => !fields.includes(e.field));
  return (
    <>
      <p className="alert-title">{title}</p>
      {detail && detail !== title && <p>{detail}</p>}
      {unclaimed.length > 0 && (
        <ul>
          {unclaimed.map((e, i) => (
            <li key={i}>{e.field ? `${e.field}: ${e.message}` : e.message}</li>
          ))}
        </ul>
      )}
      {error.status === 429 && error.retryAfter !== null && (
        <p data-testid="retry-after">{retryAfterText(error.retryAfter)}</p>
      )}
      {request_id && <p className="muted small">{t("error.requestId", { id: request_id })}</p>}
    </>
  );
}
