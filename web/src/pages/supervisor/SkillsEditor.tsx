// Skills as rows of a name and a level (0–10): what an agent can do, or what a queue requires. Shared by the agent's
// profile and the queue forms, so both read and write skills the same way. The rows are text while being edited;
// `skillsOf` turns them into the map the server takes (rows without a name are left out).

import { useId } from "react";
import { t } from "../../i18n";

export interface SkillRow {
  name: string;
  level: string;
}

export function skillRows(skills: Record<string, number> | undefined): SkillRow[] {
  return Object.entries(skills ?? {}).map(([name, level]) => ({ name, level: String(level) }));
}

/** The map for the server; a level that is not a number is sent as it is, for the server to refuse. */
export function skillsOf(rows: readonly SkillRow[]): Record<string, number> {
  const skills: Record<string, number> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (name) skills[name] = row.level.trim() === "" ? 0 : Number(row.level);
  }
  return skills;
}

/** "crisis 7, german 8" — a profile or requirement at a glance. */
export function skillsSummary(skills: Record<string, number>): string {
  return Object.entries(skills)
    .map(([name, level]) => `${name} ${level}`)
    .join(", ");
}

interface Props {
  legend: string;
  hint: string;
  rows: SkillRow[];
  onChange: (rows: SkillRow[]) => void;
  /** The server's objection to the skills, as a sentence. */
  error?: string | undefined;
  testId: string;
}

export function SkillsEditor({ legend, hint, rows, onChange, error, testId }: Props) {
  const id = useId();
  const described = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ");
  const set = (i: number, change: Partial<SkillRow>) =>
    onChange(rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  return (
    <fieldset className="skills" data-testid={testId} aria-describedby={described}>
      <legend>{legend}</legend>
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {rows.length > 0 && (
        <ul className="skill-rows">
          {rows.map((row, i) => (
            <li key={i} className="form-row">
              <div className="field">
                <label htmlFor={`${id}-name-${i}`}>{t("skills.name")}</label>
                <input
                  id={`${id}-name-${i}`}
                  value={row.name}
                  onChange={(e) => set(i, { name: e.target.value })}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={described}
                  data-testid={`${testId}-name-${i}`}
                />
              </div>
              <div className="field level">
                <label htmlFor={`${id}-level-${i}`}>{t("skills.level")}</label>
                <input
                  id={`${id}-level-${i}`}
                  type="number"
                  min={0}
                  max={10}
                  step={1}
                  inputMode="numeric"
                  value={row.level}
                  onChange={(e) => set(i, { level: e.target.value })}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={described}
                  data-testid={`${testId}-level-${i}`}
                />
              </div>
              <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                {t("skills.remove")}
                <span className="visually-hidden"> {row.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
      <button type="button" onClick={() => onChange([...rows, { name: "", level: "5" }])} data-testid={`${testId}-add`}>
        {t("skills.add")}
      </button>
    </fieldset>
  );
}
