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
