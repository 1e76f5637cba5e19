// A readable difference between two versions of a flow: nodes added, removed and changed, field by field.

import { t } from "../i18n";
import { diffFlows, type FieldChange } from "./model";

function show(value: unknown): string {
  if (value === undefined) return "–";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Fields({ fields }: { fields: FieldChange[] }) {
  return (
    <ul>
      {fields.map((f) => (
        <li key={f.path}>
          <code>{f.path}</code>: <del>{show(f.before)}</del> → <ins>{show(f.after)}</ins>
        </li>
      ))}
    </ul>
  );
}

export function VersionDiff({ before, after }: { before: string; after: string }) {
  const diff = diffFlows(before, after);
  const none = !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.settings.length;
  if (none) return <p className="muted" data-testid="diff">{t("diff.none")}</p>;
  return (
    <div className="diff" data-testid="diff">
      {diff.added.length > 0 && (
        <p>
          <strong>{t("diff.added")}</strong> {diff.added.map((id) => <code key={id}>{id} </code>)}
        </p>
      )}
      {diff.removed.length > 0 && (
        <p>
          <strong>{t("diff.removed")}</strong> {diff.removed.map((id) => <code key={id}>{id} </code>)}
        </p>
      )}
      {diff.changed.map((c) => (
        <div key={c.id}>
          <p>
            <strong>{t("diff.changed")}</strong> <code>{c.id}</code>
          </p>
          <Fields fields={c.fields} />
        </div>
      ))}
      {diff.settings.length > 0 && (
        <div>
          <p>
            <strong>{t("diff.settings")}</strong>
          </p>
          <Fields fields={diff.settings} />
        </div>
      )}
    </div>
  );
}
