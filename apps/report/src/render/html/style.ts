/** The report's stylesheet, inlined into the page (no external resource). */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d232b; --muted: #5c6773; --line: #d9dee4; --bad: #c62828; --bad-bg: #fdecea; --ok: #2e7d32; --chg: #fff4cc; --accent: #30507a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
header.top { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: #f7f9fb; }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 2px 0; color: var(--muted); }
nav.toc { padding: 8px 28px; border-bottom: 1px solid var(--line); font-size: 13px; }
nav.toc a { margin-right: 14px; }
main { padding: 8px 28px 40px; max-width: 1400px; }
h2 { font-size: 19px; margin: 28px 0 6px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; vertical-align: top; }
th { background: #f1f4f7; text-align: left; font-weight: 600; }
table.matrix td.n { text-align: center; min-width: 64px; }
table.matrix td.bad { background: var(--bad-bg); font-weight: 700; }
table.matrix td.bad a { color: var(--bad); }
table.matrix td.zero { color: #a0a8b0; }
table.devices td { font-size: 12.5px; min-width: 150px; }
table.devices td.changed { background: var(--chg); }
table.devices td.absent { color: #a0a8b0; text-align: center; }
.hyp { font-style: italic; color: #8a5a00; }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 11.5px; border: 1px solid var(--line); margin-right: 3px; }
.o-ok { color: var(--ok); } .o-fault, .o-untranslated, .o-failed { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
figure { margin: 8px 0 14px; overflow-x: auto; }
figure svg { max-width: none; height: auto; display: block; }
figure.topology svg { max-width: 100%; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
details { margin: 6px 0; }
details > summary { cursor: pointer; color: var(--accent); }
article.cx { border: 1px solid var(--line); border-left: 4px solid var(--bad); padding: 6px 12px; margin: 10px 0; }
article.cx:target { box-shadow: 0 0 0 3px #f3b7b2; }
article.cx h4 { margin: 4px 0; }
ol.evidence { margin: 4px 0 6px; padding-left: 22px; font-size: 12.5px; }
.warn { color: #8a5a00; }
footer { color: var(--muted); font-size: 12px; padding: 12px 28px; border-top: 1px solid var(--line); }
@media print { nav.toc { display: none; } details { display: block; } }
`;
