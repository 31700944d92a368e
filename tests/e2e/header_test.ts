/**
 * The room's header in Chromium: on a desktop, a signed-in member's header
 * keeps the room's whole name beside a topic; who one is and the topic give
 * way first. Beside the sidebar in a narrow window (or a phone held
 * sideways), search, pins and the account move into the room menu.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import type { Page } from "playwright-core";
import {
  createRoom,
  errorsOf,
  member,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/** The header's title fits whole and the page doesn't scroll sideways. */
async function fits(page: Page, title: string): Promise<void> {
  const h1 = page.locator(".pane-head h1");
  await expect(h1.textContent()).resolves.toBe(title);
  const [scroll, client] = await h1.evaluate((e) => [
    e.scrollWidth,
    e.clientWidth,
  ]);
  expect(client).toBeGreaterThan(0);
  expect(scroll).toBeLessThanOrEqual(client);
  const [pageScroll, pageWidth] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    innerWidth,
  ]);
  expect(pageScroll).toBeLessThanOrEqual(pageWidth);
  // Everything the header lost is in the room menu.
  await page.getByLabel("Room menu").click();
  await page.getByRole("button", { name: "Search messages" }).waitFor();
  await page.getByRole("button", { name: "Keyboard shortcuts" }).waitFor();
  await page.keyboard.press("Escape");
}

Deno.test({
  name:
    "header - at 1280 px, signed in, with a topic, the room's name is not cut",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const mod = await member(w, "moderator7", {
        viewport: { width: 1280, height: 800 },
      });
      await createRoom(mod, "planning42");
      await mod.locator(".pane-head .pins").click();
      await mod.getByLabel("Room topic").fill(
        "Weekly planning: agenda, owners and the release checklist",
      );
      await mod.getByRole("button", { name: "Save topic" }).click();
      await mod.keyboard.press("Escape");
      const topic = mod.locator(".pane-head .topic");
      await topic.waitFor();
      const h1 = mod.locator(".pane-head h1");
      await expect(h1.textContent()).resolves.toBe("# planning42");
      const [scroll, client] = await h1.evaluate((e) => [
        e.scrollWidth,
        e.clientWidth,
      ]);
      expect(scroll).toBeLessThanOrEqual(client);
      // The topic gives way instead, still shown in part.
      await expect(topic.evaluate((e) => e.clientWidth)).resolves
        .toBeGreaterThan(0);
      expect(errorsOf(mod)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "header - beside the sidebar in a narrow window or a phone held sideways, the room's name shows whole and nothing leaves the page",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      for (
        const viewport of [{ width: 600, height: 800 }, {
          width: 667,
          height: 375,
        }, { width: 520, height: 800 }]
      ) {
        const guest = await visitor(w, `guest${viewport.width}`, { viewport });
        await fits(guest, "# general");
        const account = await member(w, `member${viewport.width}`, {
          viewport,
        });
        const room = `planning-${viewport.width}`;
        await createRoom(account, room);
        await fits(account, `# ${room}`);
        await account.getByLabel("Room menu").click();
        await account.getByRole("button", { name: "Log out everywhere" })
          .waitFor();
        await account.keyboard.press("Escape");
        for (const p of [guest, account]) expect(errorsOf(p)).toEqual([]);
      }
    });
  },
});
