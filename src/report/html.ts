// HTML text for the report page: escaping, and the page around the sections. Everything the page
// shows is built as strings through esc(); the page loads nothing (inline CSS, inline SVG).

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value made safe for HTML and inline SVG. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A number with at most `digits` decimals, no trailing zeros, for SVG coordinates. */
export function num(n: number, digits = 1): string {
  const f = 10 ** digits;
  return String(Math.round(n * f) / f);
}

const CSS = `
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --fired: #cf222e; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 18px 28px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
main { padding: 8px 28px 40px; max-width: 1500px; }
h2 { font-size: 18px; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
h4 { font-size: 13px; margin: 4px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
pre { margin: 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
th { color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: var(--muted); font-style: italic; }
.bad { color: var(--fired); }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.finding { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 14px; margin: 14px 0 22px; }
.finding h3 .kind { color: #fff; background: var(--fired); border-radius: 4px; padding: 1px 6px; margin-right: 6px; font-size: 12px; }
.finding h3 .kind.clean { background: #1a7f37; }
.meta { color: var(--muted); margin: 0 0 8px; }
/* timeline, program and report side by side when they fit; a long timeline gets its own row */
.race { display: flex; flex-wrap: wrap; gap: 12px 22px; align-items: flex-start; margin-top: 8px; }
.race > .timeline { flex: 0 1 auto; max-width: 100%; min-width: 0; }
.race > .program { flex: 0 0 auto; }
.race > .kasan { flex: 1 1 520px; min-width: 0; }
.timeline { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.program ol { margin: 6px 0; padding-left: 0; list-style: none; }
.program li { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; padding: 0 4px; }
.program li.at { background: #ffebe9; border-left: 3px solid var(--fired); }
.kasan pre { background: #fff8f6; border-color: #ffcecb; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--accent); }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
`;

/** The whole page: one document, no external resources. */
export function page(title: string, subtitle: string, body: string): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    // the page may load nothing: no scripts, no fetches, styles only inline
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header>`,
    `<main>${body}</main>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
