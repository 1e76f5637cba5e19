// Entry point of /widget.js, the embeddable chat widget:
//   <script src="https://HOTLINE/widget.js" data-widget="WIDGET_ID" async></script>
// The server's address comes from this script's own URL, so the same file works on every host page.

import { Chat } from "./chat";

// document.currentScript is only set while the script first runs (also for async scripts), so capture it now.
const script = document.currentScript as HTMLScriptElement | null;

function boot(): void {
  const el = script ?? document.querySelector<HTMLScriptElement>("script[data-widget][src*='widget.js']");
  const widgetId = el?.dataset.widget;
  if (!el || !widgetId) {
    console.warn("Hotline chat widget: the <script> tag needs a data-widget attribute.");
    return;
  }
  // The same snippet pasted twice (or a page that re-inserts it) still gets one widget.
  if (document.querySelector(`hotline-chat[data-widget="${CSS.escape(widgetId)}"]`)) return;
  const server = new URL(el.src, document.baseURI);
  const scheme = server.protocol === "https:" ? "wss:" : "ws:";
  new Chat(widgetId, `${scheme}//${server.host}/chat/ws?widget=${encodeURIComponent(widgetId)}`);
}

// An async script in <head> can run before <body> exists.
if (document.body) boot();
else document.addEventListener("DOMContentLoaded", boot, { once: true });
