/**
 * Islands in a real browser: the fixture app of `lib/fresh` served in
 * process, hydrated by headless Chromium.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { App, staticFiles } from "fresh";
import { built } from "@/lib/fresh/testdata/build.ts";
import { BROWSER_TEST, launchBrowser } from "@/tests/helpers/browser.ts";

const FIXTURE =
  new URL("../../lib/fresh/testdata/fs_app", import.meta.url).pathname;

/** Text of `selector` once it equals `want`, or the last text seen. */
async function textBecomes(
  page: Page,
  selector: string,
  want: string,
): Promise<string | null> {
  try {
    await page.waitForFunction(
      ([s, w]) => document.querySelector(s)?.textContent === w,
      [selector, want],
      { timeout: 5000 },
    );
  } catch {
    // Fall through: the assertion shows what was there instead.
  }
  return await page.textContent(selector);
}

Deno.test("islands - hydrate in Chromium", BROWSER_TEST, async (t) => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (await built(new App().use(staticFiles()).fsRoutes(), FIXTURE)).handler(),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await launchBrowser();
  const errors: string[] = [];
  const requests: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("request", (req) => requests.push(req.url()));

    await t.step(
      "islands - a page without islands requests no JS",
      async () => {
        requests.length = 0;
        await page.goto(`${base}/about`, { waitUntil: "networkidle" });
        expect(await page.textContent("#about")).toBe("About");
        expect(requests.filter((u) => !u.endsWith("/favicon.ico"))).toEqual([
          `${base}/about`,
        ]);
        expect(await page.$$("script")).toHaveLength(0);
      },
    );

    await t.step(
      "islands - clicking the Counter changes its text",
      async () => {
        requests.length = 0;
        await page.goto(`${base}/islands`);
        expect(await page.textContent("#counter-value")).toBe("3");
        // The button is enabled by hydration (IS_BROWSER), so this waits for it.
        await page.click("#counter-add:not([disabled])");
        expect(await textBecomes(page, "#counter-value", "4")).toBe("4");
        await page.click("#counter-add");
        expect(await textBecomes(page, "#counter-value", "5")).toBe("5");
        expect(requests.some((u) => /\/_fresh\/js\/boot-/.test(u))).toBe(true);
        // Hydration reused the server's markup rather than adding to it.
        expect(await page.$$("#counter-value")).toHaveLength(1);
        expect(await page.$$(".shared")).toHaveLength(2);
        expect(await page.$$("#probe")).toHaveLength(1);
      },
    );

    await t.step(
      "islands - two islands given one signal stay in sync",
      async () => {
        expect(await page.textContent("#shared-a")).toBe("10");
        await page.click("#shared-a-add");
        expect(await textBecomes(page, "#shared-b", "11")).toBe("11");
        expect(await page.textContent("#shared-a")).toBe("11");
        await page.click("#shared-b-add");
        expect(await textBecomes(page, "#shared-a", "12")).toBe("12");
      },
    );

    await t.step(
      "islands - Date, URL, Map and Set props arrive as themselves",
      async () => {
        const report = await page.waitForFunction(
          () => {
            const text = document.querySelector("#probe")?.textContent;
            return text && text !== "pending" ? text : null;
          },
          undefined,
          { timeout: 5000 },
        );
        expect(JSON.parse(await report.jsonValue() as string)).toEqual({
          date: "2024-05-06T07:08:09.000Z",
          url: "/a/b",
          map: 2,
          set: true,
        });
      },
    );

    await t.step("islands - no console errors", () => {
      expect(errors).toEqual([]);
    });
  } finally {
    await browser.close();
    await server.shutdown();
  }
});
