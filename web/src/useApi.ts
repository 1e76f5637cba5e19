// The two hooks every page uses to talk to the API, so the load/error/busy state is written once:
// `useLoad` fetches what a page shows (and drops an answer that a newer request overtook), `useAction` runs a change
// the user asked for, with one busy marker, the error to show and the status line to announce.

import { useCallback, useEffect, useRef, useState, type DependencyList, type Dispatch, type SetStateAction } from "react";
import { asApiError, type ApiError } from "./api";

export interface Loaded<T> {
  /** What was loaded; null until the first answer (and after a failed first load). */
  data: T | null;
  /** Why the last load failed, if it did. */
  error: ApiError | null;
  /** A load is under way. */
  loading: boolean;
  /** Loads again (after a change); resolves when the answer is in. */
  reload: () => Promise<void>;
  /** Changes what is shown without asking the server (an answer to a change already holds the new state). */
  setData: Dispatch<SetStateAction<T | null>>;
}

/** Loads `loader()` when the page opens and whenever `deps` change. */
export function useLoad<T>(loader: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const mounted = useRef(true);
  // The caller's deps decide when the loader changes (as with useEffect).
  const load = useCallback(loader, deps);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const result = await load();
      if (mounted.current && mine === generation.current) {
        setData(result);
        setError(null);
      }
    } catch (e) {
      if (mounted.current && mine === generation.current) setError(asApiError(e));
    } finally {
      if (mounted.current && mine === generation.current) setLoading(false);
    }
  }, [load]);

  useEffect(() => {
    mounted.current = true;
    void reload();
    return () => {
      mounted.current = false;
    };
  }, [reload]);

  return { data, error, loading, reload, setData };
}

export interface Action {
  /** The key of the change under way (a row's id, a form's name), or null. */
  busy: string | null;
  /** Why the last change failed. */
  error: ApiError | null;
  /** What the last change did, for the status line (announced to screen readers). */
  status: string;
  /**
   * Runs one change: marks `key` busy, clears the last error and status, and afterwards shows the text `work` returns
   * or the error it threw. True when it succeeded.
   */
  run: (key: string, work: () => Promise<string | void>) => Promise<boolean>;
  setError: (error: ApiError | null) => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState("");

  const run = useCallback(async (key: string, work: () => Promise<string | void>) => {
    setBusy(key);
    setError(null);
    setStatus("");
    try {
      setStatus((await work()) ?? "");
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(null);
    }
  }, []);

  return { busy, error, status, run, setError };
}
