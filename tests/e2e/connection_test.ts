/**
 * The connection in Chromium: a banner silent until there is a connection
 * to speak of, reconnecting without waiting out the backoff, and messages
 * written while the server is away sent from whichever tab is still open.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { spawnServer } from "@/tests/helpers/process.ts";
import {
  connected,
  createRoom,
  history,
  member,
  openPage,
  PHONE,
  say,
  secondTab,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import { until } from "@/tests/helpers/until.ts";

Deno.test({
  name:
    "connection - no 'Connecting…' behind the name dialog, nor without JavaScript",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const bare = await openPage(w, { javaScript: false });
      await expect(bare.locator(".banner").textContent()).resolves.toBe("");
      await expect(bare.locator(".banner").isVisible()).resolves.toBe(false);
      const page = await openPage(w);
      await page.locator("dialog[open]", { hasText: "Choose a name" })
        .waitFor();
      // Hydrated and asking: the banner has nothing to say.
      await page.waitForFunction(() =>
        document.querySelector(".banner")?.getAttribute("data-state") ===
          "idle"
      );
      await expect(page.locator(".banner").textContent()).resolves.toBe("");
      await page.getByLabel("Display name").fill("ana");
      await page.getByRole("button", { name: "Join the chat" }).click();
      await connected(page);
      await expect(page.locator(".banner").textContent()).resolves.toBe("");
    });
  },
});

Deno.test({
  name:
    "connection - 'Retry now' and the browser's online event reconnect without waiting out the backoff",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      // Every attempt opens a WebSocket; note when each starts.
      let attempt: (() => void) | undefined;
      ana.on("websocket", () => attempt?.());
      const nextAttempt = () => new Promise<void>((r) => attempt = r);
      const longWait = async () => {
        const waited = await ana.waitForFunction(
          () => {
            const m = /Reconnecting in (\d+) s/.exec(
              document.querySelector(".banner")?.textContent ?? "",
            );
            return m && Number(m[1]) >= 3 ? Number(m[1]) : null;
          },
          null,
          { timeout: 30_000 },
        );
        // The timer fires no sooner than this.
        return Date.now() + ((await waited.jsonValue() as number) - 1) * 1000;
      };
      await w.server.stop();
      // "Retry now" tries at once, well before the timer would.
      let due = await longWait();
      let tried = nextAttempt();
      await ana.getByRole("button", { name: "Retry now" }).click();
      await tried;
      expect(Date.now()).toBeLessThan(due);
      // So does the browser coming online.
      due = await longWait();
      tried = nextAttempt();
      await ana.evaluate(() => dispatchEvent(new Event("online")));
      await tried;
      expect(Date.now()).toBeLessThan(due);
      w.server = await spawnServer(w.port, w.env);
      await connected(ana);
      await say(ana, "back by online");
    });
  },
});

Deno.test({
  name:
    "connection - what two tabs wrote while the server was away is all sent once it is back, though the tab it was written in closed",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const one = await visitor(w, "ana");
      const two = await secondTab(one, "/rooms/general");
      await w.server.stop();
      for (const tab of [one, two]) {
        await tab.locator('.banner[data-state="reconnecting"]').waitFor({
          state: "attached",
        });
      }
      await say(one, "from tab one", true);
      await say(two, "from tab two", true);
      await say(one, "tab one again", true);
      await one.close();
      w.server = await spawnServer(w.port, w.env);
      await connected(two);
      const written = async () =>
        (await history(w)).filter((m) => m.user === "ana").map((m) => m.text);
      await until(async () => (await written()).length >= 3, {
        what: "the three messages stored",
        ms: 15_000,
        every: 200,
      });
      await two.waitForFunction(() => !document.querySelector(".msg.pending"));
      expect(await written()).toEqual([
        "from tab one",
        "from tab two",
        "tab one again",
      ]);
    });
  },
});

Deno.test({
  name:
    "connection - the reconnecting banner leaves the room's name and the header's and thread's controls visible and usable, on a phone and a desktop",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const phone = await visitor(w, "ana", { viewport: PHONE, touch: true });
      const desk = await visitor(w, "ben");
      await say(desk, "a thread to open");
      await w.server.stop();
      for (const page of [phone, desk]) {
        const banner = page.locator('.banner[data-state="reconnecting"]');
        await banner.waitFor({ state: "attached" });
        // Sent with the button: Enter is a new line on a touch phone.
        await page.locator("#composer").fill("written while away");
        await page.getByRole("button", { name: "Send", exact: true }).click();
        await page.locator(".banner", { hasText: "waiting to send" }).waitFor();
        // Past its fade-in.
        await page.waitForTimeout(1500);
        const covered = (selector: string) =>
          page.evaluate((sel) => {
            const el = document.querySelector<HTMLElement>(sel);
            if (!el || el.offsetParent === null) return `${sel}: not shown`;
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(
              r.left + r.width / 2,
              r.top + r.height / 2,
            );
            return hit && (el === hit || el.contains(hit))
              ? ""
              : `${sel}: covered by ${hit?.className}`;
          }, selector);
        for (const sel of [".pane-head h1", ".room-menu summary"]) {
          await expect(covered(sel)).resolves.toBe("");
        }
        // The banner itself is on screen, whole.
        const box = (await banner.boundingBox())!;
        const size = page.viewportSize()!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(size.width);
      }
      // In a thread on the phone, its close button and heading stay usable.
      await desk.close();
      await phone.locator(".msg", { hasText: "a thread to open" }).getByRole(
        "button",
        { name: "Reply", exact: false },
      ).first().click();
      await phone.locator(".thread-panel").waitFor();
      const close = phone.locator(".thread-panel .thread-head button").first();
      await expect(close.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(
          r.left + r.width / 2,
          r.top + r.height / 2,
        );
        return Boolean(hit && (el === hit || el.contains(hit)));
      })).resolves.toBe(true);
    });
  },
});

Deno.test({
  name:
    "connection - on a phone, the reconnecting banner leaves a room's topic in the header visible",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const mod = await member(w, "olga");
      await createRoom(mod, "ops");
      await mod.locator(".pane-head .pins").click();
      await mod.getByLabel("Room topic").fill("Release week: freeze Friday");
      await mod.getByRole("button", { name: "Save topic" }).click();
      await mod.keyboard.press("Escape");
      const phone = await visitor(w, "ana", {
        viewport: PHONE,
        touch: true,
        room: "ops",
      });
      await phone.getByRole("button", { name: "Join #ops" }).click();
      await phone.locator("#composer").waitFor();
      await phone.locator(".pane-head .topic").waitFor();
      await w.server.stop();
      await phone.locator('.banner[data-state="reconnecting"]').waitFor({
        state: "attached",
      });
      await phone.waitForTimeout(1500);
      for (const sel of [".pane-head h1", ".pane-head .topic"]) {
        await expect(phone.evaluate((s) => {
          const el = document.querySelector(s)!;
          const r = el.getBoundingClientRect();
          const hit = document.elementFromPoint(
            r.left + r.width / 2,
            r.top + r.height / 2,
          );
          return hit !== null && (el === hit || el.contains(hit));
        }, sel)).resolves.toBe(true);
      }
    });
  },
});
