/**
 * The composer in Chromium: the server's limits, growing, phones, per-room
 * state and editing from the keyboard.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  errorsOf,
  history,
  say,
  secondTab,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name: "composer - the text limit comes from welcome, counted in UTF-8 bytes",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const composer = ana.locator("#composer");
      // 11 × "é" is 11 characters but 22 bytes, over the server's 20.
      await composer.fill("é".repeat(11));
      await composer.press("Enter");
      await ana.locator(".composer-error", {
        hasText: "2 bytes over the limit of 20",
      }).waitFor();
      await expect(ana.locator(".msg.pending, .msg.failed").count()).resolves
        .toBe(0);
      await expect(composer.inputValue()).resolves.toBe("é".repeat(11));
      await composer.press("Backspace");
      await expect(ana.locator(".composer-error").count()).resolves.toBe(0);
      await composer.press("Enter");
      await ana.locator(".msg.own:not(.pending)", { hasText: "é".repeat(10) })
        .waitFor();
      expect((await history(w)).map((m) => m.text)).toEqual(["é".repeat(10)]);
      await say(ana, "short");
      expect(errorsOf(ana)).toEqual([]);
    }, { MAX_TEXT_BYTES: "20" });
  },
});

Deno.test({
  name:
    "composer - an edit stays in its room: another room's composer is empty and Enter sends there",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "mine in general");
      const composer = ana.locator("#composer");
      await composer.focus();
      await ana.keyboard.press("ArrowUp");
      await ana.locator(".editing-line").waitFor();
      await composer.fill("mine in general, edited");
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      await expect(composer.inputValue()).resolves.toBe("");
      await expect(ana.locator(".editing-line").count()).resolves.toBe(0);
      await say(ana, "hello random");
      await ana.locator(".msg.own", { hasText: "hello random" }).waitFor();
      // Back in general, the edit is where it was left.
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator("h1", { hasText: "# general" }).waitFor();
      await expect(composer.inputValue()).resolves.toBe(
        "mine in general, edited",
      );
      await ana.locator(".editing-line").waitFor();
      await composer.press("Enter");
      await ana.locator(".msg", { hasText: "mine in general, edited" })
        .locator(".edited").waitFor();
      expect((await history(w, "general")).map((m) => m.text)).toEqual([
        "mine in general, edited",
      ]);
      expect((await history(w, "random")).map((m) => m.text)).toEqual([
        "hello random",
      ]);
    });
  },
});

Deno.test({
  name:
    "composer - grows to about eight lines; on touch screens Enter breaks the line and Send sends",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const composer = ana.locator("#composer");
      const box = () =>
        composer.evaluate((el) => ({
          height: el.clientHeight,
          scroll: el.scrollHeight,
          line: parseFloat(getComputedStyle(el).lineHeight),
        }));
      const one = await box();
      await composer.fill(["1", "2", "3", "4", "5"].join("\n"));
      const five = await box();
      expect(five.height).toBeGreaterThanOrEqual(one.height + 3.5 * one.line);
      expect(five.scroll).toBeLessThanOrEqual(five.height);
      await composer.fill(Array.from({ length: 20 }, (_, i) => i).join("\n"));
      const twenty = await box();
      expect(twenty.height).toBeLessThanOrEqual(9.5 * twenty.line);
      expect(twenty.height).toBeGreaterThanOrEqual(7 * twenty.line);
      await composer.fill("");
      await expect(box()).resolves.toMatchObject({ height: one.height });

      const phone = await visitor(w, "pho", {
        viewport: { width: 390, height: 844 },
        touch: true,
      });
      const input = phone.locator("#composer");
      await input.focus();
      await phone.keyboard.type("line one");
      await phone.keyboard.press("Enter");
      await phone.keyboard.type("line two");
      await expect(input.inputValue()).resolves.toBe("line one\nline two");
      await expect(phone.locator(".msg.own").count()).resolves.toBe(0);
      await phone.getByRole("button", { name: "Send" }).tap();
      await phone.locator(".msg.own:not(.pending)", { hasText: "line two" })
        .waitFor();
      expect((await history(w)).map((m) => m.text)).toEqual([
        "line one\nline two",
      ]);
    });
  },
});

Deno.test({
  name: "composer - editing a message doesn't tell others one is typing",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      await say(ana, "edit me");
      await ben.locator(".msg", { hasText: "edit me" }).waitFor();
      await ben.evaluate(() => {
        const line = document.querySelector(".typing-line")!;
        const seen: string[] = [];
        new MutationObserver(() => seen.push(line.textContent ?? "")).observe(
          line,
          { childList: true, subtree: true, characterData: true },
        );
        (globalThis as unknown as { seen: string[] }).seen = seen;
      });
      const composer = ana.locator("#composer");
      await composer.focus();
      await ana.keyboard.press("ArrowUp");
      await ana.keyboard.press("End");
      await ana.keyboard.type(", edited", { delay: 30 });
      await ana.keyboard.press("Enter");
      await ben.locator(".msg", { hasText: "edit me, edited" }).locator(
        ".edited",
      ).waitFor();
      // A typing frame would have come before the edit on the same socket.
      const seen = await ben.evaluate(() =>
        (globalThis as unknown as { seen: string[] }).seen
      );
      expect(seen.filter((t) => t.includes("typing"))).toEqual([]);
      // Typing a new message still shows.
      await ana.keyboard.type("x");
      await ben.locator(".typing-line", {
        hasText: "ana\u2069 (guest) is typing",
      }).waitFor();
    });
  },
});

Deno.test({
  name:
    "composer - an edit of a message deleted meanwhile (in another tab) ends, keeping what was written, which Enter then sends as a new message",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "first thoughts");
      const tab2 = await secondTab(ana, "/rooms/general");
      const composer = ana.locator("#composer");
      await composer.focus();
      await ana.keyboard.press("ArrowUp");
      await ana.locator(".editing-line").waitFor();
      await composer.fill("second thoughts, longer and better");
      const there = tab2.locator(".msg.own", { hasText: "first thoughts" });
      await there.hover();
      await there.getByRole("button", { name: /^Delete/ }).click();
      await there.getByRole("button", { name: /^Really delete/ }).click();
      await ana.locator(".problem", { hasText: "you were editing was deleted" })
        .waitFor();
      await expect(ana.locator(".editing-line").count()).resolves.toBe(0);
      await expect(composer.inputValue()).resolves.toBe(
        "second thoughts, longer and better",
      );
      await composer.press("Enter");
      await ana.locator(".msg.own", {
        hasText: "second thoughts, longer and better",
      }).waitFor();
      await ana.locator(".problem").waitFor({ state: "detached" });
      expect((await history(w)).map((m) => [m.text, m.deleted ?? false]))
        .toEqual([["", true], ["second thoughts, longer and better", false]]);
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "composer - an edit emptied and saved says a message can't be empty, keeps the message, and goes away as one types",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "keep me");
      const composer = ana.locator("#composer");
      await composer.press("ArrowUp");
      await expect(composer.inputValue()).resolves.toBe("keep me");
      await composer.fill("   ");
      await composer.press("Enter");
      const alert = ana.getByRole("alert").filter({
        hasText: "A message can't be empty",
      });
      await alert.waitFor();
      await ana.locator(".editing-line").waitFor();
      await composer.pressSequentially("kept");
      await alert.waitFor({ state: "detached" });
      await composer.press("Escape");
      await expect(ana.locator(".editing-line").count()).resolves.toBe(0);
      expect((await history(w)).map((m) => m.text)).toEqual(["keep me"]);
      // An empty box when not editing sends nothing and says nothing.
      await composer.press("Enter");
      await expect(alert.count()).resolves.toBe(0);
    });
  },
});
