/**
 * Choosing a name in Chromium: a modal that keeps focus, and a word when
 * the server gave another name than the one asked for.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  member,
  openPage,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "names - the name dialog keeps Tab inside; after joining the composer has focus; log in keeps the room",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await openPage(w, { room: "random" });
      const dialog = page.locator("dialog[open]");
      await dialog.waitFor();
      await expect(
        dialog.getByRole("link", { name: "log in" }).getAttribute("href"),
      ).resolves.toBe("/login?next=%2Frooms%2Frandom");
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press("Tab");
        const inside = await page.evaluate(() =>
          document.activeElement === document.body ||
          !!document.activeElement?.closest("dialog")
        );
        expect(inside).toBe(true);
      }
      await page.getByLabel("Display name").fill("ana");
      await page.getByLabel("Display name").press("Enter");
      await connected(page);
      await page.waitForFunction(() =>
        document.activeElement?.id === "composer"
      );
      await expect(page.locator("dialog[open]").count()).resolves.toBe(0);
    });
  },
});

Deno.test({
  name:
    "names - a guest given another name is told so, and offered to log in when the name is an account",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      await member(w, "Hana");
      await visitor(w, "ana");
      const other = await visitor(w, "ANA");
      const note = other.locator(".renamed");
      await note.waitFor();
      await expect(note.textContent()).resolves.toContain(
        "“ANA” is taken, so you are chatting as ANA-2",
      );
      await expect(other.locator(".who").textContent()).resolves.toBe(
        "Chatting as ANA-2",
      );
      const guest = await visitor(w, "Hana");
      const hana = guest.locator(".renamed");
      await hana.waitFor();
      await expect(hana.textContent()).resolves.toContain("chatting as Hana-2");
      await expect(
        hana.getByRole("link", { name: "log in" }).getAttribute("href"),
      ).resolves.toBe("/login?next=%2Frooms%2Fgeneral");
      // Dismissed, it stays away after a reload.
      await hana.getByRole("button", { name: "OK" }).click();
      await guest.reload();
      await connected(guest);
      await expect(guest.locator(".who").textContent()).resolves.toBe(
        "Chatting as Hana-2",
      );
      await expect(guest.locator(".renamed").count()).resolves.toBe(0);
    });
  },
});

Deno.test({
  name: "names - the login and register pages lead back to the chat",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      for (const form of ["login", "register"]) {
        const page = await openPage(w, {
          path: `/${form}?next=%2Frooms%2Frandom`,
          javaScript: false,
        });
        await page.getByRole("link", { name: "Back to the chat" }).click();
        await page.waitForURL(/\/rooms\/random$/);
        await page.locator("h1", { hasText: "# random" }).waitFor();
      }
    });
  },
});

Deno.test({
  name:
    "names - a guest renamed ana-2 reads and writes like anyone; @ana-2 marks their messages, not ana's",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const other = await visitor(w, "ana");
      await expect(other.locator(".who").textContent()).resolves.toBe(
        "Chatting as ana-2",
      );
      await say(ana, "welcome @ana-2");
      const welcome = other.locator(".msg", { hasText: "welcome" });
      await welcome.waitFor();
      await expect(welcome.getAttribute("class")).resolves.toContain(
        "mentions-me",
      );
      await say(other, "thanks @ana");
      await other.locator(".msg.own", { hasText: "thanks" }).waitFor();
      const thanks = ana.locator(".msg", { hasText: "thanks" });
      await thanks.waitFor();
      await expect(thanks.getAttribute("class")).resolves.toContain(
        "mentions-me",
      );
      await say(other, "note to self, @ana-2");
      const note = ana.locator(".msg", { hasText: "note to self" });
      await note.waitFor();
      await expect(note.getAttribute("class")).resolves.not.toContain(
        "mentions-me",
      );
    });
  },
});
