/**
 * The member list in Chromium: a page of members at a time, online first,
 * more as the list is scrolled, and presence kept live.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { visitor, withWorld, type World } from "@/tests/helpers/chat_page.ts";

/**
 * Connects `n` guests named `prefix` and a number (padded to `digits`), who
 * join general on their first visit; resolves once each is welcomed.
 */
function guests(
  w: World,
  n: number,
  prefix: string,
  digits: number,
): Promise<WebSocket[]> {
  const base = w.server.url.replace("http", "ws");
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = prefix + String(i).padStart(digits, "0");
      const ws = new WebSocket(`${base}/ws?name=${name}`);
      await new Promise((r) => ws.onmessage = r);
      return ws;
    }),
  );
}

Deno.test({
  name:
    "members - the list loads a page at a time as it scrolls; someone leaving goes offline in place",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // 60 guests online in general (a first visit joins it).
      const sockets = await guests(w, 60, "g", 2);
      const ana = await visitor(w, "ana");
      const rows = ana.locator(".members-list li");
      await ana.locator(".members .side-title", { hasText: "Members — 61" })
        .waitFor();
      await expect(rows.count()).resolves.toBe(50);
      // Scrolling to the end of the list loads the rest, and then there is
      // no more to load (presence may have shown some of the second page's
      // people before it came: the list is whole once both hold).
      // (On a busy machine the scroll may come before the list can load:
      // then the button is pressed, as a reader would.)
      await ana.locator(".more-members").scrollIntoViewIfNeeded();
      const whole = () =>
        ana.evaluate(() =>
          document.querySelectorAll(".members-list li").length === 61 &&
          document.querySelector(".more-members") === null
        );
      const until = Date.now() + 30_000;
      while (!(await whole())) {
        if (Date.now() > until) {
          throw new Error("the member list never grew whole");
        }
        await new Promise((r) => setTimeout(r, 2000));
        if (
          !(await whole()) && await ana.locator(".more-members").count() > 0
        ) {
          await ana.locator(".more-members").click().catch(() => {});
        }
      }
      // Someone closing their socket goes offline (to the end), not away.
      sockets[0].close();
      await ana.locator(".members-list li.offline", { hasText: "g00" })
        .waitFor({ timeout: 20_000 });
      // At the end of the list, once scrolled there: a page that
      // resubscribed meanwhile (a busy machine can make its socket
      // reconnect) starts again from the first page.
      const deadline = Date.now() + 20_000;
      while (!(await rows.last().textContent())?.includes("g00")) {
        if (Date.now() > deadline) {
          throw new Error("g00 is not at the end of the member list");
        }
        if (await ana.locator(".more-members").count() > 0) {
          await ana.locator(".more-members").scrollIntoViewIfNeeded()
            .catch(() => {});
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      await expect(rows.last().getAttribute("class")).resolves.toContain(
        "offline",
      );
      for (const ws of sockets.slice(1)) ws.close();
    });
  },
});

Deno.test({
  name:
    "members - a list whose end stays in view after a page loads goes on loading until it is whole",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // 130 guests: three pages, on a screen tall enough to show two.
      const sockets = await guests(w, 130, "t", 3);
      const ana = await visitor(w, "ana", {
        viewport: { width: 1280, height: 8000 },
      });
      await ana.locator(".members .side-title", { hasText: "Members — 131" })
        .waitFor();
      // Nobody scrolls or presses anything: the end is in view each time.
      await ana.waitForFunction(
        () =>
          document.querySelectorAll(".members-list li").length === 131 &&
          document.querySelector(".more-members") === null,
        null,
        { timeout: 20_000 },
      );
      for (const ws of sockets) ws.close();
    });
  },
});
