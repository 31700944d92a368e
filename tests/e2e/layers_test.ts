/**
 * Layers in Chromium: Escape closes only the top-most of what is open (a
 * dialog over the thread panel or over a drawer, the room menu, a reaction
 * palette, the pinned messages), the room menu and the palette close on a
 * click or tap outside, as menus do, and the focus goes back to what opened
 * them; an Escape the topic field handles closes nothing behind it.
 */
import { expect } from "expect";
import { until } from "@/tests/helpers/until.ts";
import type { Page } from "playwright-core";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import {
  createRoom,
  errorsOf,
  focusedName as focused,
  member,
  PHONE,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

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
      await until(async () => (await focused(pho)) === "Room menu", {
        what: "the focus on Room menu",
      });
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
      await until(async () => (await focused(ana)) === "Room menu", {
        what: "the focus on Room menu",
      });
      for (const p of [ana, pho]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

/** Fails fast where a layer fails to open or close. */
const SOON = { timeout: 5000 } as const;

Deno.test({
  name:
    "layers - the reaction palette closes with Escape or a press outside, and the focus stays on its ☺+ button",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "react to me");
      const msg = ana.locator(".log .msg", { hasText: "react to me" });
      await msg.hover();
      const add = msg.getByRole("button", { name: /^Add a reaction/ });
      const palette = msg.getByRole("group", { name: "Pick a reaction" });

      // By keyboard: into the palette, then Escape; the focus is on the ☺+.
      await add.focus();
      await ana.keyboard.press("Enter");
      await palette.waitFor(SOON);
      await ana.keyboard.press("Tab");
      await until(async () => (await focused(ana)) === "React with 👍", {
        what: "the focus on React with 👍",
      });
      await ana.keyboard.press("Escape");
      await palette.waitFor({ state: "detached", ...SOON });
      await expect(focused(ana)).resolves.toMatch(/^Add a reaction/);

      // A click outside closes it.
      await ana.keyboard.press("Enter");
      await palette.waitFor(SOON);
      await ana.locator(".pane-head h1").click();
      await palette.waitFor({ state: "detached", ...SOON });

      // A pick by keyboard: the reaction is there, the focus on the ☺+.
      await add.focus();
      await ana.keyboard.press("Enter");
      await ana.keyboard.press("Tab");
      await ana.keyboard.press("Tab");
      await until(async () => (await focused(ana)) === "React with ❤️", {
        what: "the focus on React with ❤️",
      });
      await ana.keyboard.press("Enter");
      await msg.locator(".reaction", { hasText: "❤️" }).waitFor(SOON);
      await expect(palette.count()).resolves.toBe(0);
      await expect(focused(ana)).resolves.toMatch(/^Add a reaction/);

      // On a phone, a tap outside closes it.
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const row = pho.locator(".log .msg", { hasText: "react to me" });
      await row.locator(".body").tap();
      await row.getByRole("button", { name: /^Add a reaction/ }).tap();
      const picks = row.getByRole("group", { name: "Pick a reaction" });
      await picks.waitFor(SOON);
      await pho.locator(".pane-head h1").tap();
      await picks.waitFor({ state: "detached", ...SOON });
      for (const p of [ana, pho]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "layers - the pinned messages take the focus on opening, close with × or Escape, and give it back to the 📌 or the room menu",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const panel = (page: Page) =>
        page.getByRole("region", { name: "Pinned messages" });
      const close = (page: Page) =>
        panel(page).getByRole("button", { name: "Close pinned messages" });
      // A member who moderates nothing: the × has the focus.
      const ben = await visitor(w, "ben");
      const pins = ben.locator(".pane-head .pins");
      await pins.click();
      await panel(ben).getByRole("heading", { name: "Pinned messages" })
        .waitFor(SOON);
      await until(
        async () => (await focused(ben)) === "Close pinned messages",
        {
          what: "the focus on Close pinned messages",
        },
      );
      await ben.keyboard.press("Escape");
      await panel(ben).waitFor({ state: "detached", ...SOON });
      await until(async () => (await focused(ben)) === "Pinned messages", {
        what: "the focus on Pinned messages",
      });
      await ben.keyboard.press("Enter");
      await close(ben).waitFor(SOON);
      await close(ben).click();
      await panel(ben).waitFor({ state: "detached", ...SOON });
      await until(async () => (await focused(ben)) === "Pinned messages", {
        what: "the focus on Pinned messages",
      });

      // A room's owner: the topic field has the focus.
      const olga = await member(w, "olga");
      await createRoom(olga, "ops");
      await olga.locator(".pane-head .pins").click();
      await olga.getByLabel("Room topic").waitFor(SOON);
      await until(async () => (await focused(olga)) === "Room topic", {
        what: "the focus on Room topic",
      });
      await olga.keyboard.press("Escape");
      await panel(olga).waitFor({ state: "detached", ...SOON });
      await until(async () => (await focused(olga)) === "Pinned messages", {
        what: "the focus on Pinned messages",
      });

      // On a phone, from the room menu: the focus goes back to its button.
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      await pho.getByLabel("Room menu").tap();
      await pho.getByRole("button", { name: /^Pinned messages/ }).tap();
      await close(pho).waitFor(SOON);
      await until(
        async () => (await focused(pho)) === "Close pinned messages",
        {
          what: "the focus on Close pinned messages",
        },
      );
      await screenshot(pho, "layers-phone-pinned");
      await close(pho).tap();
      await panel(pho).waitFor({ state: "detached", ...SOON });
      await until(async () => (await focused(pho)) === "Room menu", {
        what: "the focus on Room menu",
      });
      for (const p of [ben, olga, pho]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "layers - Escape in the topic field closes the pinned messages only: the thread panel opened after them stays",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await createRoom(olga, "ops");
      await say(olga, "a thread to keep");
      const pinned = olga.getByRole("region", { name: "Pinned messages" });
      await olga.locator(".pane-head .pins").click();
      const topic = olga.getByLabel("Room topic");
      await topic.waitFor(SOON);
      // The thread panel opens above the pinned messages.
      const root = olga.locator(".log .msg", { hasText: "a thread to keep" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const thread = olga.getByRole("complementary", { name: "Thread" });
      await thread.waitFor();
      await topic.click();
      await topic.fill("half-typed");
      await olga.keyboard.press("Escape");
      await pinned.waitFor({ state: "detached", ...SOON });
      await expect(thread.isVisible()).resolves.toBe(true);
      // The next Escape is the thread panel's.
      await olga.keyboard.press("Escape");
      await thread.waitFor({ state: "detached", ...SOON });
      expect(errorsOf(olga)).toEqual([]);
    });
  },
});
