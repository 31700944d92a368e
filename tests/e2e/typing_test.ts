/**
 * "… is typing" in Chromium when the server's "stopped typing" can't reach
 * the page (it goes only to pages showing the room then): after a trip to
 * another room, or a hidden tab, it is gone once the server's typing TTL
 * has passed, not shown for good.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { errorsOf, visitor, withWorld } from "@/tests/helpers/chat_page.ts";

/** Past the server's typing TTL (`TYPING_TTL_MS`, 5 s by default). */
const PAST_TTL_MS = 6500;

/** Fakes the tab being hidden or shown again. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((hidden) => {
    Object.defineProperty(document, "hidden", {
      configurable: true,
      get: () => hidden,
    });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);

/** What `page` shows of others typing: the line and the marked member rows. */
const typingShown = async (page: Page) => ({
  line: (await page.locator(".typing-line").textContent())?.trim(),
  rows: await page.locator(".members-list li.typing").count(),
});

Deno.test({
  name:
    "typing - someone who stopped typing is not shown typing for good after a room switch or a hidden tab",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      await ben.locator(".members-list li", { hasText: "ana" }).waitFor();
      const typing = ben.locator(".typing-line", { hasText: "is typing" });

      // Ana types a little and stops; Ben is in #random meanwhile.
      await ana.locator("#composer").pressSequentially("hel", { delay: 20 });
      await typing.waitFor();
      await ben.locator(".members-list li.typing", { hasText: "ana" })
        .waitFor();
      await ben.locator('a.room[data-room="random"]').click();
      await ben.locator("h1", { hasText: "# random" }).waitFor();
      await ben.waitForTimeout(PAST_TTL_MS);
      await ben.locator('a.room[data-room="general"]').click();
      await ben.locator("h1", { hasText: "# general" }).waitFor();
      expect(await typingShown(ben)).toEqual({ line: "", rows: 0 });

      // Again, with Ben's tab hidden meanwhile.
      await ana.locator("#composer").pressSequentially("lo", { delay: 20 });
      await typing.waitFor();
      await setHidden(ben, true);
      await ben.waitForTimeout(PAST_TTL_MS);
      await setHidden(ben, false);
      expect(await typingShown(ben)).toEqual({ line: "", rows: 0 });

      expect(errorsOf(ana)).toEqual([]);
      expect(errorsOf(ben)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "typing - emptying the box or going to another room says one stopped at once; editing an old message is no typing",
  ...BROWSER_TEST,
  async fn() {
    // A TTL longer than the test: only a stop can end the notice.
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      await ben.locator(".members-list li", { hasText: "ana" }).waitFor();
      const typing = ben.locator(".typing-line", { hasText: "is typing" });
      const composer = ana.locator("#composer");

      await composer.pressSequentially("hel", { delay: 20 });
      await typing.waitFor();
      await composer.press("Control+A");
      await composer.press("Backspace");
      await typing.waitFor({ state: "detached" });

      await composer.pressSequentially("draft", { delay: 20 });
      await typing.waitFor();
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      await typing.waitFor({ state: "detached" });

      // Editing one's message in general is no news to Ben.
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator("h1", { hasText: "# general" }).waitFor();
      await composer.fill("");
      await composer.press("Enter");
      await composer.pressSequentially("sent", { delay: 20 });
      await composer.press("Enter");
      await ben.locator(".msg", { hasText: "sent" }).waitFor();
      await composer.press("ArrowUp");
      await ana.locator(".editing-line").waitFor();
      await composer.pressSequentially(" and edited", { delay: 20 });
      await composer.press("Enter");
      await ben.locator(".msg", { hasText: "sent and edited" }).waitFor();
      await expect(typing.count()).resolves.toBe(0);
      expect(errorsOf(ana)).toEqual([]);
      expect(errorsOf(ben)).toEqual([]);
    }, { TYPING_TTL_MS: "60000" });
  },
});
