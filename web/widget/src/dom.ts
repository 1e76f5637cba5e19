// A tiny element builder. Attributes go through setAttribute, text through text nodes, so nothing from the server
// is ever parsed as HTML. It never sets `style`: the host page's CSP (style-src 'self') forbids inline styles, and
// all styling comes from the constructed stylesheets in the shadow root.

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) el.setAttribute(name, "");
    else if (typeof value === "string") el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child) el.append(child);
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A decorative 24×24 icon from one path (hidden from assistive technology; the button has its own name). */
export function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}
