/**
 * Layers in Chromium: Escape closes only the top-most of what is open (a
 * dialog over the thread panel or over a drawer, the room menu), and the
 * room menu closes on a click or tap outside, as menus do.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import {
  errorsOf,
  PHONE,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? "";
  });

Deno.test({
  name:
    "layers - Escape in a dialog closes the dialog only: the thread panel or the drawer behind it stays",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "a thread to keep open");
      const root = ana.locator(".log .msg", { hasText: "a thread to keep" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const panel = ana.getByRole("complementary", { name: "Thread" });
      await panel.waitFor();
      const dialog = ana.locator("dialog[open]");

      // Ctrl+K from the reply box, then Escape: the switcher closes alone.
      await panel.getByLabel("Reply in thread").focus();
      await ana.keyboard.press("Control+k");
      await dialog.waitFor();
      await ana.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await expect(panel.isVisible()).resolves.toBe(true);

      // `?` outside a text field opens the help; Escape closes it alone.
      await panel.getByRole("heading", { name: /Thread/ }).click();
      await ana.keyboard.press("?");
      await dialog.waitFor();
      await ana.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await expect(panel.isVisible()).resolves.toBe(true);

      // With nothing above it, Escape closes the panel.
      await ana.keyboard.press("Escape");
      await panel.waitFor({ state: "detached" });

      // On a phone: the directory opened from the rooms drawer.
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const rooms = pho.locator("nav.sidebar");
      await pho.getByRole("button", { name: "Rooms", exact: true }).tap();
      await rooms.waitFor({ state: "visible" });
      await pho.getByRole("button", { name: "Browse rooms" }).tap();
      await pho.locator("dialog[open]").waitFor();
      await pho.keyboard.press("Escape");
      await pho.locator("dialog[open]").waitFor({ state: "detached" });
      await expect(rooms.isVisible()).resolves.toBe(true);
      await pho.keyboard.press("Escape");
      await rooms.waitFor({ state: "hidden" });
      for (const p of [ana, pho]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "layers - the room menu closes with Escape (focus back on its button) and with a click or tap outside",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const isOpen = (page: Page) =>
        page.locator("details.room-menu").evaluate((d) =>
          (d as HTMLDetailsElement).open
        );
      // A phone: the menu holds search, pins and log in.
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const menu = pho.getByLabel("Room menu");
      await menu.tap();
      await pho.getByRole("button", { name: "Search messages" }).waitFor();
      await screenshot(pho, "layers-phone-menu");
      await pho.keyboard.press("Escape");
      await expect(isOpen(pho)).resolves.toBe(false);
      await expect(focused(pho)).resolves.toBe("Room menu");
      await menu.tap();
      await expect(isOpen(pho)).resolves.toBe(true);
      await pho.touchscreen.tap(PHONE.width / 2, PHONE.height / 2);
      await expect(isOpen(pho)).resolves.toBe(false);

      // A desktop member: the menu holds "Leave room".
      const ana = await visitor(w, "ana");
      await ana.getByLabel("Room menu").click();
      await ana.getByRole("button", { name: "Leave room" }).waitFor();
      await ana.locator("#composer").click();
      await expect(isOpen(ana)).resolves.toBe(false);
      await expect(
        ana.getByRole("button", { name: "Leave room" }).isVisible(),
      ).resolves.toBe(false);
      await ana.getByLabel("Room menu").click();
      await ana.keyboard.press("Escape");
      await expect(isOpen(ana)).resolves.toBe(false);
      await expect(focused(ana)).resolves.toBe("Room menu");
      for (const p of [ana, pho]) expect(errorsOf(p)).toEqual([]);
    });
  },
});
