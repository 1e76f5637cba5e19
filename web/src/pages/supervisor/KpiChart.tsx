// Today's figures per 15 minutes, drawn as inline SVG without a chart library: for each interval a bar each for
// offered, answered and abandoned contacts, and the service level as a line on its own 0–100 % scale. The same
// numbers are in a table for screen readers and for anyone who prefers to read them.

import { useCallback, useEffect, useId, useState } from "react";
import { api, type ApiError, type KpiRow } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { formatClock, formatShare } from "../../contact/format";
import { localProblem } from "../../contact/problems";
import { t } from "../../i18n";

const SLOT_MS = 15 * 60 * 1000;
const SLOTS = 96;
const REFRESH_MS = 60_000;

export interface Slot {
  start: number;
  offered: number;
  answered: number;
  abandoned: number;
  /** Weighted over the queues in the slot; null when no queue had contacts to divide by. */
  serviceLevel: number | null;
}

export function startOfToday(now = new Date()): Date {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d;
}

/**
 * Puts rows (of one or several queues) into the day's 96 slots. Counts add up; the service levels of several queues
 * are averaged weighted by their contacts that count for it (offered minus short abandons), which is exact for the
 * default variant when each queue's denominator is that number and a close reading otherwise.
 */
export function toSlots(rows: readonly KpiRow[], dayStart: number): Slot[] {
  const slots: Slot[] = Array.from({ length: SLOTS }, (_, i) => ({
    start: dayStart + i * SLOT_MS,
    offered: 0,
    answered: 0,
    abandoned: 0,
    serviceLevel: null,
  }));
  const weights = new Array<number>(SLOTS).fill(0);
  const levels = new Array<number>(SLOTS).fill(0);
  for (const row of rows) {
    const i = Math.floor((Date.parse(row.start) - dayStart) / SLOT_MS);
    const slot = slots[i];
    if (!slot) continue;
    slot.offered += row.offered;
    slot.answered += row.answered;
    slot.abandoned += row.abandoned;
    if (row.service_level !== null) {
      const weight = Math.max(1, row.offered - row.short_abandoned);
      weights[i]! += weight;
      levels[i]! += row.service_level * weight;
    }
  }
  slots.forEach((slot, i) => {
    if (weights[i]! > 0) slot.serviceLevel = levels[i]! / weights[i]!;
  });
  return slots;
}

/** A round upper bound for the count axis (1, 2, 5, 10, 20, 50, …). */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

/** Whole-number gridlines from 0 to `max` (a `niceMax`), about five of them. */
export function ticks(max: number): number[] {
  const step = niceMax(max / 5);
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

const W = 960;
const H = 260;
const PAD = { left: 40, right: 44, top: 12, bottom: 28 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
const SLOT_W = PLOT_W / SLOTS;
const BAR_W = (SLOT_W - 1.5) / 3;

/**
 * `figures` changes whenever today's totals in the live snapshot change (a contact offered, answered or abandoned);
 * the chart then fetches its rows again, so it never lags the table above it by more than a request.
 */
export function KpiChart({ queues, figures }: { queues: readonly string[]; figures: string }) {
  const [queue, setQueue] = useState("");
  const [rows, setRows] = useState<KpiRow[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [dayStart, setDayStart] = useState(() => startOfToday().getTime());
  const titleId = useId();

  const load = useCallback(async () => {
    const start = startOfToday();
    setDayStart(start.getTime());
    try {
      const result = await api.kpis({
        queue: queue || null,
        interval: "15m",
        from: start.toISOString(),
        to: new Date().toISOString(),
      });
      setRows(result.items);
      setError(null);
    } catch (e) {
      setError(localProblem(e));
    }
  }, [queue]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, figures]);

  const slots = toSlots(rows ?? [], dayStart);
  const max = niceMax(Math.max(0, ...slots.flatMap((s) => [s.offered, s.answered, s.abandoned])));
  const y = (count: number) => PAD.top + PLOT_H - (count / max) * PLOT_H;
  const ySl = (share: number) => PAD.top + PLOT_H - share * PLOT_H;
  const nowX = PAD.left + ((Date.now() - dayStart) / SLOT_MS) * SLOT_W;

  // The service-level line breaks where a slot has nothing to divide by.
  const segments: string[] = [];
  let current: string[] = [];
  slots.forEach((slot, i) => {
    if (slot.serviceLevel === null) {
      if (current.length) segments.push(current.join(" "));
      current = [];
      return;
    }
    current.push(`${(PAD.left + (i + 0.5) * SLOT_W).toFixed(1)},${ySl(slot.serviceLevel).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(" "));

  const used = slots.filter((s) => s.offered + s.answered + s.abandoned > 0 || s.serviceLevel !== null);

  return (
    <section className="card kpis" aria-labelledby="kpi-heading" data-testid="kpis">
      <div className="kpi-head">
        <h2 id="kpi-heading">{t("kpi.title")}</h2>
        <label>
          <span className="visually-hidden">{t("supervisor.queue")}</span>
          <select value={queue} onChange={(e) => setQueue(e.target.value)} data-testid="kpi-queue">
            <option value="">{t("kpi.allQueues")}</option>
            {queues.map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load()}>
          {t("kpi.reload")}
        </button>
      </div>
      <ErrorAlert error={error} />
      <figure>
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="kpi-chart"
          role="img"
          aria-labelledby={titleId}
          data-testid="kpi-chart"
          preserveAspectRatio="xMidYMid meet"
        >
          <title id={titleId}>{t("kpi.chartTitle")}</title>
          {ticks(max).map((count) => (
            <g key={count}>
              <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={y(count)} y2={y(count)} />
              <text className="axis" x={PAD.left - 6} y={y(count) + 4} textAnchor="end">
                {count}
              </text>
            </g>
          ))}
          {[0, 0.5, 1].map((share) => (
            <text key={share} className="axis sl" x={W - PAD.right + 6} y={ySl(share) + 4}>
              {Math.round(share * 100)}%
            </text>
          ))}
          {Array.from({ length: 9 }, (_, i) => i * 3).map((hour) => (
            <text key={hour} className="axis" x={PAD.left + hour * 4 * SLOT_W} y={H - 8} textAnchor="middle">
              {String(hour).padStart(2, "0")}:00
            </text>
          ))}
          {slots.map((slot, i) => {
            const x = PAD.left + i * SLOT_W + 0.75;
            const label = `${formatClock(new Date(slot.start).toISOString())}: ${t("kpi.offered")} ${slot.offered}, ${t("kpi.answered")} ${slot.answered}, ${t("kpi.abandoned")} ${slot.abandoned}`;
            return (
              <g key={slot.start} data-slot={i}>
                <title>{label}</title>
                {(["offered", "answered", "abandoned"] as const).map((kind, k) =>
                  slot[kind] > 0 ? (
                    <rect
                      key={kind}
                      className={`bar bar-${kind}`}
                      x={x + k * BAR_W}
                      y={y(slot[kind])}
                      width={BAR_W}
                      height={PAD.top + PLOT_H - y(slot[kind])}
                    />
                  ) : null,
                )}
              </g>
            );
          })}
          {segments.map((points, i) =>
            points.includes(" ") ? (
              <polyline key={i} className="sl-line" points={points} />
            ) : (
              <circle key={i} className="sl-dot" cx={points.split(",")[0]} cy={points.split(",")[1]} r={2.5} />
            ),
          )}
          {nowX > PAD.left && nowX < W - PAD.right && (
            <line className="now" x1={nowX} x2={nowX} y1={PAD.top} y2={PAD.top + PLOT_H} />
          )}
          <line className="axis-line" x1={PAD.left} x2={W - PAD.right} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H} />
        </svg>
        <figcaption>
          <ul className="legend">
            <li>
              <span className="swatch bar-offered" aria-hidden="true" /> {t("kpi.offered")}
            </li>
            <li>
              <span className="swatch bar-answered" aria-hidden="true" /> {t("kpi.answered")}
            </li>
            <li>
              <span className="swatch bar-abandoned" aria-hidden="true" /> {t("kpi.abandoned")}
            </li>
            <li>
              <span className="swatch sl-swatch" aria-hidden="true" /> {t("kpi.serviceLevel")}
            </li>
          </ul>
        </figcaption>
      </figure>
      <details>
        <summary>{t("kpi.asTable")}</summary>
        {used.length === 0 ? (
          <p className="muted">{t("kpi.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="kpi-table">
              <thead>
                <tr>
                  <th scope="col">{t("kpi.interval")}</th>
                  <th scope="col">{t("kpi.offered")}</th>
                  <th scope="col">{t("kpi.answered")}</th>
                  <th scope="col">{t("kpi.abandoned")}</th>
                  <th scope="col">{t("kpi.serviceLevel")}</th>
                </tr>
              </thead>
              <tbody>
                {used.map((s) => (
                  <tr key={s.start}>
                    <th scope="row">{formatClock(new Date(s.start).toISOString())}</th>
                    <td>{s.offered}</td>
                    <td>{s.answered}</td>
                    <td>{s.abandoned}</td>
                    <td>{formatShare(s.serviceLevel)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </section>
  );
}
