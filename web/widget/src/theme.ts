// The per-widget colour from the server's welcome, applied as a second constructed stylesheet that only sets custom
// properties. The value is checked to be a hex colour before it reaches CSS, so a misconfigured widget cannot
// inject rules; the text colour on it is chosen for contrast (WCAG relative luminance) rather than configured.

const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

export function themeSheet(color: string | undefined): CSSStyleSheet | null {
  if (!color || !HEX.test(color)) return null;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`:host{--hl-primary:${color};--hl-on-primary:${onColor(color)}}`);
  return sheet;
}

/** White or near-black, whichever contrasts more with `hex`. */
function onColor(hex: string): string {
  let digits = hex.slice(1);
  if (digits.length === 3) digits = digits.replace(/./g, "$&$&");
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(digits.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white is 1.05 / (L + 0.05), with #111 about (L + 0.05) / 0.056; pick the larger.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.056 ? "#fff" : "#111";
}
