// Small formatters for live figures: elapsed and remaining times, shares, and the clock that makes them tick.

import { useEffect, useState } from "react";
import { lang } from "../i18n";

/** Seconds as m:ss, or h:mm:ss from an hour on; negative values count as zero. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Whole seconds from an RFC 3339 time until `now` (positive when the time lies in the past). */
export function secondsSince(iso: string | null | undefined, now: number): number {
  if (!iso) return 0;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.floor((now - at) / 1000));
}

/** Whole seconds from `now` until an RFC 3339 time, never below zero. */
export function secondsUntil(iso: string | null | undefined, now: number): number {
  if (!iso) return 0;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

const percent = new Intl.NumberFormat(lang === "de" ? "de-DE" : "en", { style: "percent", maximumFractionDigits: 0 });

/** A share (0–1) as a percentage; null (nothing to divide by) as a dash. */
export function formatShare(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : percent.format(value);
}

const time = new Intl.DateTimeFormat(lang === "de" ? "de-DE" : undefined, { hour: "2-digit", minute: "2-digit" });

export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : time.format(date);
}

/** The current time in milliseconds, re-read every `periodMs` so countdowns and waits tick. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}
