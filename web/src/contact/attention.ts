// Getting an agent's attention without an asset file: a short WebAudio beep, and a count in the tab's title
// ("(2) Desk · … · Hotline") while offers or unread caller messages wait.

import { useEffect, useSyncExternalStore } from "react";

let audio: AudioContext | null = null;

/**
 * Browsers only let a page make sound after the user has interacted with it; the first click or key press on the
 * page creates (or resumes) the audio context, so later beeps are heard.
 */
export function unlockAudioOnFirstGesture(): () => void {
  const unlock = () => {
    try {
      audio ??= new AudioContext();
      if (audio.state === "suspended") void audio.resume();
    } catch {
      /* no WebAudio: the title badge still shows */
    }
  };
  window.addEventListener("pointerdown", unlock, { once: true, capture: true });
  window.addEventListener("keydown", unlock, { once: true, capture: true });
  return () => {
    window.removeEventListener("pointerdown", unlock, { capture: true });
    window.removeEventListener("keydown", unlock, { capture: true });
  };
}

const MUTE_KEY = "hotline.desk.muted";

/** Whether the agent switched the desk's sound off (kept in this browser). */
export function isMuted(): boolean {
  try {
    return window.localStorage.getItem(MUTE_KEY) === "1";
  } catch {
    return false;
  }
}

export function setMuted(muted: boolean): void {
  try {
    if (muted) window.localStorage.setItem(MUTE_KEY, "1");
    else window.localStorage.removeItem(MUTE_KEY);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
}

/** Plays `count` short sine beeps (two for an offer, one for a message), unless muted. Never throws. */
export function beep(count = 1): void {
  if (isMuted()) return;
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime + 0.01;
    for (let i = 0; i < count; i++) {
      const at = start + i * 0.22;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      // A quick fade in and out: a hard edge would click.
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.16);
    }
  } catch {
    /* no sound is better than a broken desk */
  }
}

const BADGE = /^\(\d+\)\s+/;

/** Prefixes the document title with `(count)` while count > 0; the page's own title stays underneath. */
export function useTitleBadge(count: number): void {
  useEffect(() => {
    const base = document.title.replace(BADGE, "");
    document.title = count > 0 ? `(${count}) ${base}` : base;
  }, [count]);
  useEffect(
    () => () => {
      document.title = document.title.replace(BADGE, "");
    },
    [],
  );
}

function subscribeVisibility(callback: () => void): () => void {
  document.addEventListener("visibilitychange", callback);
  return () => document.removeEventListener("visibilitychange", callback);
}

/** Whether the tab is in the background (another tab, a minimised window). */
export function useDocumentHidden(): boolean {
  return useSyncExternalStore(subscribeVisibility, () => document.hidden);
}
