/**
 * Accessibility in Chromium: axe-core finds no serious or critical
 * violation on the room page, its dialogs (the directory among them), a
 * previewed room, drawers, and the login and register pages, in light and
 * dark; a control whose input is hidden still shows the keyboard's focus.
 */
import { expect } from "expect";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import { contrast, seriousViolations } from "@/tests/helpers/axe.ts";
import {
  createRoom,
  openPage,
  PHONE,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

for (const scheme of ["light", "dark"] as const) {
  Deno.test({
    name: `a11y - no serious axe violations anywhere, ${scheme}`,
    ...BROWSER_TEST,
    async fn() {
      await withWorld(async (w) => {
        const opts = { colorScheme: scheme, bypassCSP: true };
        // The name dialog.
        const page = await openPage(w, opts);
        await page.locator("dialog[open]").waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await page.getByLabel("Display name").fill("ana");
        await page.getByRole("button", { name: "Join the chat" }).click();
        await page.locator(".members-list", { hasText: "ana" }).waitFor();
        // The room with messages, unread and mention badges, an edit.
        const ben = await visitor(w, "ben");
        await say(ben, "hello **ana**, see `code` and https://deno.com");
        await say(page, "my own message\n```\nblock\n```");
        await ben.locator('a.room[data-room="random"]').click();
        await say(ben, "ping @ana");
        await page.locator('a.room[data-room="random"] .badge.mention')
          .waitFor();
        await page.locator("#composer").focus();
        await page.keyboard.press("ArrowUp");
        await page.locator(".editing-line").waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        // The dark badge's text is readable (it was 2.28:1).
        const mention = page.locator(".sidebar .badge.mention");
        const [fg, bg] = await mention.evaluate((el) => [
          getComputedStyle(el).color,
          getComputedStyle(el).backgroundColor,
        ]);
        expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
        // The dialogs.
        await page.keyboard.press("Escape");
        await page.locator("#composer").blur();
        await page.keyboard.press("?");
        await page.locator("dialog[open]", { hasText: "Keyboard shortcuts" })
          .waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await page.keyboard.press("Escape");
        // Shortcuts wait while any dialog is open.
        await page.waitForFunction(() =>
          !document.querySelector("dialog[open]")
        );
        await page.keyboard.press("Control+k");
        await page.locator("dialog[open]", { hasText: "Switch room" })
          .waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await page.keyboard.press("Escape");
        // The directory, and a room previewed from it (the Join bar), with
        // a membership event line and the member list with presence.
        await createRoom(ben, "design");
        await page.getByRole("button", { name: "Browse rooms" }).click();
        const directory = page.locator("dialog[open]", {
          hasText: "Browse rooms",
        });
        await directory.locator("a.room", { hasText: "design" }).waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await directory.locator("a.room", { hasText: "design" }).click();
        await page.locator(".join-bar").waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await page.getByRole("button", { name: "Join #design" }).click();
        await page.locator(".notice.event").first().waitFor();
        await page.locator(".room-menu summary").click();
        await page.getByRole("button", { name: "Leave room" }).waitFor();
        expect(await seriousViolations(page)).toEqual([]);
        await page.keyboard.press("Escape");
        // A phone with a drawer open.
        const phone = await visitor(w, "pho", {
          ...opts,
          viewport: PHONE,
        });
        await phone.getByRole("button", { name: "Rooms", exact: true })
          .click();
        await phone.locator("nav.sidebar").waitFor({ state: "visible" });
        expect(await seriousViolations(phone)).toEqual([]);
        // Login and register.
        for (const path of ["/login", "/register"]) {
          const form = await openPage(w, { ...opts, path });
          expect(await seriousViolations(form)).toEqual([]);
        }
      });
    },
  });
}

Deno.test({
  name:
    "a11y - Shift+Tab from the message box to Attach (a hidden file input) draws a focus ring, as other controls do",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "ana");
      const attach = page.locator("label.attach");
      const ring = () =>
        attach.evaluate((el) => {
          const s = getComputedStyle(el);
          return `${s.outlineStyle} ${s.outlineWidth}`;
        });
      await expect(ring()).resolves.toMatch(/^none /);
      // A button's ring under the keyboard: Tab, Tab to Send.
      const composer = page.locator("#composer");
      await composer.focus();
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      const button = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return `${
          document.activeElement!.textContent?.trim()
        }: ${s.outlineStyle} ${s.outlineWidth}`;
      });
      expect(button).toBe("Send: solid 3px");
      await composer.focus();
      await page.keyboard.press("Shift+Tab");
      await expect(
        page.evaluate(() =>
          document.activeElement?.closest("label.attach") !== null
        ),
      ).resolves.toBe(true);
      await expect(ring()).resolves.toBe("solid 3px");
      await screenshot(page, "a11y-attach-focus");
      // A click shows no ring.
      await page.locator("#composer").click();
      await expect(ring()).resolves.toMatch(/^none /);
    });
  },
});
