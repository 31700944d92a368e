/**
 * Headless Chromium for end-to-end tests: Debian's chromium driven by
 * playwright-core, and a place for screenshots (`test-output/`, ignored).
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Chromium's path; CI installs the Debian package. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Where screenshots go. */
export const OUTPUT_DIR =
  new URL("../../test-output/", import.meta.url).pathname;

/** Starts headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Saves a full-page screenshot as `test-output/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(OUTPUT_DIR, { recursive: true });
  const path = `${OUTPUT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Options for tests driving a browser (playwright keeps sockets and timers of its own). */
export const BROWSER_TEST = {
  sanitizeOps: false,
  sanitizeResources: false,
} as const;
