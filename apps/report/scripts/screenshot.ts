/**
 * `pnpm --filter @dmasim/report screenshot`: regenerates `docs/report.png` (the README's picture) from the default
 * run's report, rendered into a temporary directory and opened in headless Debian Chromium. The picture is the top
 * of the page: the summary matrix and the start of the first scenario.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli";
import { processIo } from "../src/io/cli-io";
import { CHROMIUM_PATH, chromiumAvailable, openReport } from "../test/chromium";

const target = resolve(import.meta.dirname, "../../../docs/report.png");
if (!chromiumAvailable()) {
  process.stderr.write(`screenshot: ${CHROMIUM_PATH} is not installed (apt-get install chromium)\n`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "dmasim-screenshot-"));
try {
  const io = { ...processIo(), cwd: dir, stdout: { write: () => undefined } };
  const code = await main(["-o", "out"], io);
  if (code !== 0) throw new Error(`dmasim exited ${code}`);
  const opened = await openReport(join(dir, "out", "report.html"), { width: 1280, height: 1400 });
  try {
    await opened.page.screenshot({ path: target });
  } finally {
    await opened.close();
  }
  process.stdout.write(`wrote ${target}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
