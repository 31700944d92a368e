/**
 * The message log's scrolling in Chromium: first paint at the newest
 * message, the two "elsewhere" signals, following one's own sends, and
 * loading older pages as the reader nears the top.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  openPage,
  PHONE,
  say,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

const FAST = { RATE_PER_SECOND: "1000", RATE_BURST: "1000" };

/** Whether the last `.msg` is wholly inside the log's visible box. */
function lastMessageInView(page: Page, selector = ".msg"): Promise<boolean> {
  return page.evaluate((sel) => {
    const log = document.querySelector(".log")!.getBoundingClientRect();
    const all = document.querySelectorAll(sel);
    const m = all[all.length - 1]?.getBoundingClientRect();
    return !!m && m.bottom <= log.bottom + 1 && m.top >= log.top - 1;
  }, selector);
}

Deno.test({
  name:
    "scroll - the page opens at the newest message before any script runs, and nothing shifts as it connects",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      (await seed(w, Array.from({ length: 60 }, (_, i) => `history ${i + 1}`)))
        .close();
      const bare = await openPage(w, { javaScript: false });
      await expect(lastMessageInView(bare)).resolves.toBe(true);
      await expect(bare.locator(".msg .body").last().textContent()).resolves
        .toBe("history 60");
      await expect(
        bare.evaluate(() => {
          const b = document.querySelector(".older")!.getBoundingClientRect();
          const log = document.querySelector(".log")!.getBoundingClientRect();
          return b.bottom < log.top;
        }),
      ).resolves.toBe(true);
      // With scripts: no layout shift from first paint to connected.
      const page = await openPage(w);
      await page.evaluate(() => {
        const shifts: string[] = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            const s = e as PerformanceEntry & {
              value: number;
              sources: { node?: Element }[];
            };
            const nodes = s.sources.map((x) =>
              x.node?.className || x.node?.nodeName
            );
            shifts.push(
              `${s.value} ${nodes.join(",")} at ${Math.round(s.startTime)} ms`,
            );
          }
        }).observe({ type: "layout-shift", buffered: true });
        (globalThis as unknown as { shifts: string[] }).shifts = shifts;
      });
      await page.getByLabel("Display name").fill("ana");
      const clickedAt = await page.evaluate(() =>
        Math.round(performance.now())
      );
      await page.getByRole("button", { name: "Join the chat" }).click();
      await connected(page);
      await page.locator(".members-list", { hasText: "ana" }).waitFor();
      await expect(lastMessageInView(page)).resolves.toBe(true);
      const shifts = await page.evaluate((clickedAt) => {
        const { shifts } = globalThis as unknown as { shifts: string[] };
        if (shifts.length === 0) return shifts;
        // What shows above the messages now, to tell what moved them.
        const above = [".banner", ".renamed", ".problem", ".pinned", ".older"]
          .map((s) => `${s}: ${document.querySelector(s)?.textContent ?? "-"}`);
        return [
          ...shifts,
          `clicked at ${clickedAt} ms`,
          ...above,
        ];
      }, clickedAt);
      expect(shifts).toEqual([]);
    }, FAST);
  },
});

Deno.test({
  name:
    "scroll - older history and membership events are not 'new'; viewing older messages offers the present; only messages count",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(
        w,
        Array.from({ length: 120 }, (_, i) => `history ${i + 1}`),
      );
      const ana = await visitor(w, "ana");
      const pill = ana.locator(".pill");
      const jump = ana.locator(".jump");
      await expect(jump.count()).resolves.toBe(0);
      // Up to the top: older pages load above, and nothing calls them new.
      await ana.locator(".log").evaluate((el) =>
        el.scrollTop = el.clientHeight - el.scrollHeight
      );
      await ana.waitForFunction(() =>
        document.querySelectorAll(".msg").length >= 100
      );
      await jump.filter({ hasText: "Viewing older messages" }).waitFor();
      await expect(pill.count()).resolves.toBe(0);
      // Someone joining is a stored event line, not a new message.
      const ben = await visitor(w, "ben");
      await ana.locator(".notice.event", { hasText: "ben" }).waitFor({
        state: "attached",
      });
      await expect(pill.count()).resolves.toBe(0);
      // Two messages arrive below: counted as two.
      await say(ben, "one");
      await say(ben, "two");
      await pill.filter({ hasText: "2 new messages" }).waitFor();
      await ana.getByRole("button", { name: "Jump to present" }).click();
      await expect(jump.count()).resolves.toBe(0);
      await expect(pill.count()).resolves.toBe(0);
      await expect(lastMessageInView(ana)).resolves.toBe(true);
      ws.close();
    }, FAST);
  },
});

Deno.test({
  name:
    "scroll - sending a tall message, even from scrolled up, shows all of it and nothing covers it",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      (await seed(w, Array.from({ length: 50 }, (_, i) => `line ${i + 1}`)))
        .close();
      const ana = await visitor(w, "ana");
      for (let i = 0; i < 3; i++) {
        await ana.locator(".log").evaluate((el) => el.scrollTop = -300);
        await say(
          ana,
          `tall ${i}\n` + Array.from({ length: 14 }, (_, j) => `row ${j}`)
            .join("\n"),
        );
        await ana.waitForFunction(() => {
          const log = document.querySelector(".log")!.getBoundingClientRect();
          const own = [...document.querySelectorAll(".msg.own")].at(-1)!
            .getBoundingClientRect();
          return own.bottom <= log.bottom + 1 && own.top >= log.top - 1;
        });
        await expect(ana.locator(".msg.own").last().textContent()).resolves
          .toContain(`tall ${i}`);
        await expect(ana.locator(".pill, .jump").count()).resolves.toBe(0);
      }
    }, FAST);
  },
});

/**
 * Where message `id` is, from the log's top edge; without `id`, the one at
 * the middle of the view (what the reader is reading).
 */
function line(page: Page, id?: string): Promise<{ id: string; top: number }> {
  return page.evaluate((id) => {
    const log = document.querySelector(".log")!.getBoundingClientRect();
    const middle = log.height / 2;
    for (const m of document.querySelectorAll<HTMLElement>(".msg[data-id]")) {
      const { top, bottom } = m.getBoundingClientRect();
      if (id ? m.dataset.id === id : bottom - log.top > middle) {
        return { id: m.dataset.id!, top: top - log.top };
      }
    }
    throw new Error(`No message ${id ?? "in the middle"}`);
  }, id);
}

Deno.test({
  name:
    "scroll - reaching the top of a long room loads one older page, and the reader stays on the line they were reading",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      (await seed(
        w,
        Array.from({ length: 350 }, (_, i) => `history ${i + 1}`),
      )).close();
      const ana = await visitor(w, "ana");
      const older: string[] = [];
      ana.on("request", (r) => {
        if (/\/messages\?.*before=/.test(r.url())) older.push(r.url());
      });
      const count = () => ana.locator(".msg").count();
      await expect(count()).resolves.toBe(50);
      const toTop = () =>
        ana.locator(".log").evaluate((el) =>
          el.scrollTop = el.clientHeight - el.scrollHeight
        );
      await toTop();
      const reading = await line(ana);
      await ana.waitForFunction(() =>
        document.querySelectorAll(".msg").length >= 100
      );
      // Time for a runaway to show: more pages, or the view thrown back.
      await ana.waitForTimeout(1500);
      await expect(count()).resolves.toBe(100);
      expect(older.length).toBe(1);
      const now = await line(ana, reading.id);
      expect(Math.abs(now.top - reading.top)).toBeLessThan(30);
      await expect(ana.locator(".msg .body").first().textContent()).resolves
        .toBe("history 251");
      // A turn of the wheel up, still far from the new top: nothing loads.
      await ana.locator(".log").hover();
      await ana.mouse.wheel(0, -300);
      await ana.waitForTimeout(500);
      expect(older.length).toBe(1);
      // Up to the new top: the next page, one more.
      await toTop();
      await ana.waitForFunction(() =>
        document.querySelectorAll(".msg").length >= 150
      );
      await ana.waitForTimeout(1000);
      await expect(count()).resolves.toBe(150);
      expect(older.length).toBe(2);
    }, FAST);
  },
});

Deno.test({
  name:
    "scroll - the 'Viewing older messages' note sits over the messages, clear of the Attach button and the message box, on a phone and a desktop",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      await seed(w, Array.from({ length: 60 }, (_, i) => `line ${i + 1}`));
      for (const touch of [true, false]) {
        const page = await visitor(w, touch ? "pho" : "desk", {
          ...(touch ? { viewport: PHONE } : {}),
          touch,
        });
        await page.locator(".log").evaluate((el) =>
          el.scrollTop = el.clientHeight - el.scrollHeight
        );
        const jump = page.locator(".jump");
        await jump.waitFor();
        const box = (await jump.boundingBox())!;
        const log = (await page.locator(".log").boundingBox())!;
        for (const sel of ["#composer", ".upload-bar .attach"]) {
          const other = page.locator(sel).first();
          if (!(await other.count())) continue;
          const o = (await other.boundingBox())!;
          const apart = box.y + box.height <= o.y || o.y + o.height <= box.y ||
            box.x + box.width <= o.x || o.x + o.width <= box.x;
          expect({ sel, apart }).toEqual({ sel, apart: true });
        }
        expect(box.y + box.height).toBeLessThanOrEqual(log.y + log.height);
        expect(box.y).toBeGreaterThanOrEqual(log.y);
      }
    }, FAST);
  },
});

Deno.test({
  name:
    "scroll - in a busy room, no 'new messages' pill shows at the bottom, once the list is full too; reading back keeps the older pages as messages keep coming",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(
        w,
        Array.from({ length: 100 }, (_, i) => `history ${i + 1}`),
      );
      const ana = await visitor(w, "ana");
      await expect(ana.locator(".msg").count()).resolves.toBe(50);
      // Every pill that ever shows, for a frame or longer.
      await ana.evaluate(() => {
        const w = window as unknown as { pills: number };
        w.pills = 0;
        new MutationObserver(() => {
          if (document.querySelector(".pill")) w.pills++;
        }).observe(document.body, { childList: true, subtree: true });
      });
      const pills = () =>
        ana.evaluate(() => (window as unknown as { pills: number }).pills);
      // 500 more while the reader is at the bottom: the list fills and stays full.
      ws.close();
      (await seed(
        w,
        Array.from({ length: 500 }, (_, i) => `live ${i + 1}`),
        { name: "ben" },
      )).close();
      await ana.locator(".msg", { hasText: /^ben.*live 500$/ }).or(
        ana.locator(".msg .body", { hasText: /^live 500$/ }),
      ).first().waitFor();
      await expect(ana.locator(".msg").count()).resolves.toBe(500);
      expect(await pills()).toBe(0);
      // Up to the top: an older page loads above the full list.
      await ana.locator(".log").evaluate((el) =>
        el.scrollTop = el.clientHeight - el.scrollHeight
      );
      // (One line of the page is ben's joining: an event, not a message.)
      await ana.waitForFunction(() =>
        document.querySelectorAll(".msg").length >= 549
      );
      const shown = await ana.locator(".msg").count();
      const oldest = await ana.locator(".msg .body").first().textContent();
      // More come below while the reader reads back: what they read stays.
      (await seed(
        w,
        Array.from({ length: 20 }, (_, i) => `more ${i + 1}`),
        { name: "cy" },
      )).close();
      await ana.locator(".pill", { hasText: "20 new messages" }).waitFor();
      await expect(ana.locator(".msg .body").first().textContent()).resolves
        .toBe(oldest);
      await expect(ana.locator(".msg").count()).resolves.toBe(shown + 20);
      // Back to the present: the pill goes.
      await ana.getByRole("button", { name: "Jump to present" }).click();
      await expect(ana.locator(".pill").count()).resolves.toBe(0);
    }, FAST);
  },
});

Deno.test({
  name:
    "scroll - the page itself never scrolls: a long member list stays in its panel, and opening a room at its 'New' divider moves the log only",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana", { room: "random" });
      // Sixty more members in general (every newcomer joins it).
      const sockets = await Promise.all(
        Array.from({ length: 60 }, (_, i) => seed(w, [], { name: `m${i}` })),
      );
      // While ana reads random, general gets more than fits.
      (await seed(
        w,
        Array.from({ length: 80 }, (_, i) => `news ${i + 1}`),
        { name: "m0" },
      )).close();
      await ana.locator('a.room[data-room="general"] .badge').waitFor();
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator("#new-divider").waitFor();
      await ana.waitForFunction(() =>
        document.querySelectorAll(".members-list li").length >= 50
      );
      await ana.waitForTimeout(300);
      const page = await ana.evaluate(() => ({
        scrollY: scrollY,
        tall: document.scrollingElement!.scrollHeight - innerHeight,
        headTop: document.querySelector("h1")!.getBoundingClientRect().top,
        logScrolled: document.querySelector(".log")!.scrollTop,
      }));
      expect(page).toMatchObject({ scrollY: 0, tall: 0 });
      expect(page.headTop).toBeGreaterThanOrEqual(0);
      // The log moved to the divider (up from its newest line).
      expect(page.logScrolled).toBeLessThan(0);
      for (const s of sockets) s.close();
    }, FAST);
  },
});
