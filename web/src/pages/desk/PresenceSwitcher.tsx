// The agent's own presence: four buttons (available, busy, away, offline), the current one pressed. Wrap-up is not
// chosen but entered when a conversation ends; it shows with the time left, and choosing another state ends it.

import { useState } from "react";
import type { Agent, SettablePresence } from "../../api";
import { isMuted, setMuted } from "../../contact/attention";
import { PRESENCES } from "../../api";
import { formatDuration, secondsUntil } from "../../contact/format";
import { presenceLabel, t } from "../../i18n";

interface Props {
  agent: Agent;
  now: number;
  busy: boolean;
  onChange: (presence: SettablePresence) => void;
}

export function PresenceSwitcher({ agent, now, busy, onChange }: Props) {
  const wrapUp = agent.presence === "wrap_up";
  return (
    <section className="card presence" aria-labelledby="presence-heading">
      <h2 id="presence-heading">{t("desk.presence")}</h2>
      <div className="presence-row">
        <div role="group" aria-labelledby="presence-heading" className="segmented">
          {PRESENCES.map((p) => (
            <button
              key={p}
              type="button"
              className={`presence-${p}`}
              aria-pressed={agent.presence === p}
              disabled={busy}
              onClick={() => onChange(p)}
              data-testid={`presence-${p}`}
            >
              <span className={`dot dot-${p}`} aria-hidden="true" />
              {presenceLabel(p)}
            </button>
          ))}
        </div>
        <p className="presence-current" data-testid="my-presence" data-presence={agent.presence}>
          <span className={`dot dot-${agent.presence}`} aria-hidden="true" />
          {wrapUp
            ? t("desk.wrapUpLeft", { time: formatDuration(secondsUntil(agent.wrap_up_until, now)) })
            : presenceLabel(agent.presence)}
        </p>
        <SoundToggle />
      </div>
    </section>
  );
}

function SoundToggle() {
  const [muted, setMutedState] = useState(isMuted);
  return (
    <label className="sound-toggle">
      <input
        type="checkbox"
        checked={!muted}
        onChange={(e) => {
          setMuted(!e.target.checked);
          setMutedState(!e.target.checked);
        }}
        data-testid="sound"
      />
      {t("desk.sound")}
    </label>
  );
}
