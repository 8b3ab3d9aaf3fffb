/**
 * Headless Debian Chromium through playwright-core, for the browser test and `pnpm --filter @dmasim/report
 * screenshot`. Playwright never downloads a browser here: it drives `/usr/bin/chromium` (installed by `.ci/run`)
 * with a fresh profile directory and every background network feature off, and the page's requests are recorded
 * and any that is not the report file itself is aborted.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env["DMASIM_CHROMIUM"] ?? "/usr/bin/chromium";

/** The switches the brief asks for: no GPU, no QUIC, no background or component networking. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** Whether the browser is installed. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** An opened report: the page, every URL it requested, and a close function. */
export interface OpenedReport {
  readonly page: Page;
  /** Every request the page made, in order (the report's own `file:` URL included). */
  readonly requests: readonly string[];
  readonly close: () => Promise<void>;
}

/** Opens `htmlPath` in a fresh headless Chromium with a `width`×`height` viewport. */
export async function openReport(htmlPath: string, viewport = { width: 1400, height: 1000 }): Promise<OpenedReport> {
  const profile = mkdtempSync(join(tmpdir(), "dmasim-chromium-"));
  let context: BrowserContext | null = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport,
      deviceScaleFactor: 1,
      offline: true,
      javaScriptEnabled: true,
    });
    const url = pathToFileURL(htmlPath).href;
    const requests: string[] = [];
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (r) => void requests.push(r.url()));
    await context.route("**/*", (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: "load" });
    const ctx = context;
    return {
      page,
      requests,
      close: async () => {
        await ctx.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (context !== null) await context.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
