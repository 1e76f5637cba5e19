// Starts the real `hotline serve` for a browser test: port 0, a fresh data directory, and the base URL parsed from
// the "listening on http://…" line on stdout (plain or inside a JSON log record).
//
// Environment: HOTLINE_BIN, the server binary (default ../target/debug/hotline relative to web/).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HOTLINE_BIN = process.env.HOTLINE_BIN
  ? path.resolve(process.env.HOTLINE_BIN)
  : path.resolve(WEB_DIR, "../target/debug/hotline");
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Starts the server; `ready` resolves with its base URL (and, with `needPassword`, the admin's one-time password
 * printed on the first start), `stop` ends it and removes its data.
 */
export function startServer({ needPassword = false } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "hotline-e2e-"));
  const child = spawn(HOTLINE_BIN, ["serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0"], {
    env: { ...process.env, HOTLINE_LOG_FORMAT: "json" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdoutTail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });

  const ready = new Promise((resolve, reject) => {
    let baseUrl = null;
    let password = null;
    let sipAddr = null;
    const fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`${why}\n--- server stdout (tail) ---\n${stdoutTail}\n--- server stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
    child.on("error", (error) => fail(`could not start ${HOTLINE_BIN}: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (!baseUrl || (needPassword && !password)) fail(`server exited early (code ${code}, signal ${signal})`);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      stdoutTail = (stdoutTail + line + "\n").slice(-5_000);
      for (const text of searchableTexts(line)) {
        baseUrl ??= /listening on (http:\/\/[^\s]+)/.exec(text)?.[1]?.replace(/\/+$/, "") ?? null;
        password ??= /one-time password: (\S+)/.exec(text)?.[1] ?? null;
        sipAddr ??= /SIP listening on (\S+)/.exec(text)?.[1] ?? null;
      }
      if (baseUrl && (!needPassword || password)) {
        clearTimeout(timer);
        resolve({ baseUrl, password, sipAddr });
      }
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, 10_000, "timeout");
      });
      if ((await Promise.race([exited, timeout])) === "timeout") child.kill("SIGKILL");
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { ready, stop, stderr: () => stderr, stdout: () => stdoutTail };
}

/** The line itself and, for a JSON log record, each string value in it (so JSON quoting never cuts a value off). */
function searchableTexts(line) {
  const texts = [];
  try {
    const collect = (value) => {
      if (typeof value === "string") texts.push(value);
      else if (value && typeof value === "object") Object.values(value).forEach(collect);
    };
    collect(JSON.parse(line));
  } catch {
    /* not JSON */
  }
  texts.push(line);
  return texts;
}

/** Debian's Chromium, headless, never a browser playwright would download. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
