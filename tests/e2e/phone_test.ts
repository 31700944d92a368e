/**
 * The chat page on a phone in Chromium: drawers that close, and a header
 * that fits.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import { PHONE, say, visitor, withWorld } from "@/tests/helpers/chat_page.ts";

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? "";
  });

Deno.test({
  name:
    "phone - drawers close with ×, Escape and a backdrop tap; focus returns to the toggle",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const members = page.locator("aside.members");
      const rooms = page.locator("nav.sidebar");
      const membersToggle = page.getByRole("button", {
        name: "Members",
        exact: true,
      });
      const roomsToggle = page.getByRole("button", {
        name: "Rooms",
        exact: true,
      });
      // ×
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await expect(focused(page)).resolves.toBe("Close members");
      await page.getByRole("button", { name: "Close members" }).click();
      await members.waitFor({ state: "hidden" });
      await expect(focused(page)).resolves.toBe("Members");
      // Escape
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await page.keyboard.press("Escape");
      await members.waitFor({ state: "hidden" });
      await expect(focused(page)).resolves.toBe("Members");
      // A tap beside the drawer, then the composer is usable again.
      await roomsToggle.click();
      await rooms.waitFor({ state: "visible" });
      await expect(focused(page)).resolves.toBe("Close rooms");
      await page.touchscreen.tap(PHONE.width - 20, PHONE.height / 2);
      await rooms.waitFor({ state: "hidden" });
      await expect(focused(page)).resolves.toBe("Rooms");
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await page.touchscreen.tap(20, PHONE.height / 2);
      await members.waitFor({ state: "hidden" });
      await page.locator("#composer").fill("after the drawers");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator(".msg.own:not(.pending)", {
        hasText: "after the drawers",
      }).waitFor();
    });
  },
});

Deno.test({
  name:
    "phone - the header keeps the room name on one line and shows one's own name",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE });
      await say(page, "hi");
      for (const room of ["general", "a-rather-long-room-for-the-phone"]) {
        if (room !== "general") {
          await page.getByRole("button", { name: "Rooms", exact: true })
            .click();
          await page.getByLabel("New room").fill(room);
          await page.getByRole("button", { name: "Create" }).click();
          await page.locator("h1", { hasText: room }).waitFor();
        }
        const lines = await page.locator(".pane-head h1").evaluate((h) => {
          const lh = parseFloat(getComputedStyle(h).lineHeight);
          return h.getBoundingClientRect().height / lh;
        });
        expect(lines).toBeLessThan(1.5);
        await expect(page.locator(".pane-head .who").isVisible()).resolves
          .toBe(true);
        await expect(page.locator(".pane-head .who").textContent()).resolves
          .toBe("Chatting as pho");
        const head = await page.locator(".pane-head").evaluate((h) => ({
          scroll: h.scrollWidth,
          client: h.clientWidth,
        }));
        expect(head.scroll).toBeLessThanOrEqual(head.client);
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth),
        ).toBeLessThanOrEqual(PHONE.width);
      }
    });
  },
});

Deno.test({
  name:
    "phone - the room's name shows whole; search, pinned messages and log in are in the room menu",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      // On a touch screen Enter is a new line; Send sends.
      await page.locator("#composer").fill("a message to find from the phone");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator(".msg.own:not(.pending)", {
        hasText: "from the phone",
      }).waitFor();
      const title = page.locator(".pane-head h1");
      await expect(title.textContent()).resolves.toBe("# general");
      const clipped = await title.evaluate((h) =>
        h.scrollWidth > h.clientWidth
      );
      expect(clipped).toBe(false);
      // Not in the header on a phone.
      for (const name of ["Search", "Log in"]) {
        await expect(
          page.getByRole("banner").getByText(name, { exact: true })
            .isVisible(),
        ).resolves.toBe(false);
      }
      const menu = page.getByLabel("Room menu");
      await menu.click();
      await screenshot(page, "phone-menu");
      await page.getByRole("button", { name: "Search messages" }).click();
      const box = page.getByRole("searchbox", { name: "Search messages" });
      await box.fill("find");
      await box.press("Enter");
      await page.locator(".search-hit", { hasText: "from the phone" })
        .waitFor();
      await page.getByRole("button", { name: "Close", exact: true }).click();
      await page.locator("dialog[open]").waitFor({ state: "detached" });

      await menu.click();
      await page.getByRole("button", { name: "Pinned messages" }).click();
      await page.getByRole("region", { name: "Pinned messages" }).waitFor();

      await menu.click();
      const login = page.getByRole("link", { name: "Log in" });
      await expect(login.getAttribute("href")).resolves.toBe(
        "/login?next=%2Frooms%2Fgeneral",
      );
      await login.click();
      await page.waitForURL(/\/login\?next=/);
    });
  },
});
