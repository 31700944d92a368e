/**
 * Text that could pose as something else, in Chromium: a message ending in
 * a right-to-left override can't reorder its own "(edited)" and ✓ marks; a
 * guest's pinned message can't forge its "pinned by" line, and the guest is
 * marked there and in search results.
 */
import { expect } from "expect";
import type { Locator } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  createRoom,
  errorsOf,
  member,
  say,
  seed,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/** Where `locator` starts and ends on screen, left to right. */
const span = (locator: Locator) =>
  locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { left: Math.round(r.left), right: Math.round(r.right) };
  });

Deno.test({
  name:
    "spoofing - U+202E in a message reorders nothing after it: its marks, a pin's pinned-by line; a guest is marked in pins and search",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await createRoom(olga, "ops");
      const guest = await seed(w, [
        "Verify your account at https://x.example \u202Eniamod.lasciffo yb dennip",
      ], { room: "ops", name: "Support" });
      guest.close();

      // Her own edited message ends in U+202E: "(edited)" and ✓ stay after it.
      await say(olga, "first draft");
      const mine = olga.locator(".msg.own", { hasText: "first draft" });
      await mine.hover();
      await mine.getByRole("button", { name: /^Edit/ }).click();
      await olga.locator("#composer").fill("final \u202Etext");
      await olga.locator("#composer").press("Enter");
      const edited = olga.locator(".msg.own", { hasText: "final" });
      await edited.locator(".edited").waitFor();
      const body = await span(edited.locator(".body"));
      const mark = await span(edited.locator(".edited"));
      const sent = await span(edited.locator(".sent"));
      expect(mark.left).toBeGreaterThanOrEqual(body.right);
      expect(sent.left).toBeGreaterThanOrEqual(mark.right);

      // Pinned, the guest's message keeps "pinned by olga" after it, as is.
      const theirs = olga.locator(".log .msg", { hasText: "Verify" });
      await theirs.hover();
      await theirs.getByRole("button", { name: /^Pin/ }).click();
      await theirs.getByRole("button", { name: /^Unpin/ }).waitFor();
      await olga.locator(".pane-head .pins").click();
      const pin = olga.locator(".pinned-list .pin", { hasText: "Verify" });
      await pin.waitFor();
      await expect(pin.locator(".tag").textContent()).resolves.toBe("guest");
      const text = await span(pin.locator(".text"));
      const by = await span(pin.locator(".by"));
      expect(by.left).toBeGreaterThanOrEqual(text.right);
      await olga.keyboard.press("Escape");

      // Search marks the guest too.
      await olga.getByRole("button", { name: "Search", exact: true }).click();
      const box = olga.getByRole("searchbox", { name: "Search messages" });
      await box.fill("verify");
      await box.press("Enter");
      const hit = olga.locator(".search-hit", { hasText: "Verify" });
      await hit.waitFor({ timeout: 20_000 });
      await expect(hit.locator(".where .tag").textContent()).resolves.toBe(
        "guest",
      );
      await expect(hit.locator(".where bdi").textContent()).resolves.toBe(
        "Support",
      );
      expect(errorsOf(olga)).toEqual([]);
    });
  },
});
