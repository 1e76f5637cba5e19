// Per-tab persistence in sessionStorage, namespaced by widget id: a reload within the tab resumes the conversation,
// a new tab starts a fresh one (and nothing outlives the tab, which matters for callers on shared computers).
// sessionStorage can be missing or throw (storage disabled, sandboxed iframes); the widget then keeps working from
// memory, it only cannot resume after a reload.

export class TabStore {
  private readonly prefix: string;
  private readonly memory = new Map<string, string>();

  constructor(widgetId: string) {
    this.prefix = `hotline-widget:${widgetId}:`;
  }

  get(key: string): string | null {
    try {
      return window.sessionStorage.getItem(this.prefix + key);
    } catch {
      return this.memory.get(key) ?? null;
    }
  }

  set(key: string, value: string | null): void {
    try {
      if (value === null) window.sessionStorage.removeItem(this.prefix + key);
      else window.sessionStorage.setItem(this.prefix + key, value);
    } catch {
      if (value === null) this.memory.delete(key);
      else this.memory.set(key, value);
    }
  }
}
