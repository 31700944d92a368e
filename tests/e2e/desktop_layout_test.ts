/**
 * The desktop layout in Chromium: an open thread sits beside the room, not
 * over it (every control of the room stays where a click reaches it, at
 * 1280 and 1000 px); a private room's member rows keep their status dot and
 * their Remove button inside the column.
 */
import { expect } from "expect";
import type { Locator, Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { errorsOf, member, say, withWorld } from "@/tests/helpers/chat_page.ts";

/** Whether a click at the middle of `target` lands on it, not on something over it. */
function reachable(target: Locator): Promise<boolean> {
  return target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(
      r.left + r.width / 2,
      r.top + r.height / 2,
    );
    return hit !== null && (hit === el || el.contains(hit));
  });
}

/** The room's controls a thread must not cover. */
function roomControls(page: Page): Locator[] {
  const last = page.locator(".log .msg").last();
  return [
    page.locator("#composer"),
    page.locator(".composer button[type=submit]"),
    page.locator(".pane-head .search"),
    last.getByRole("button", { name: /^Reply/ }),
  ];
}

Deno.test({
  name:
    "desktop layout - an open thread sits beside the room at 1280 and 1000 px: the room's buttons stay reachable",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await member(w, "ana");
      for (const text of ["one", "two", "three"]) await say(ana, text);
      const first = ana.locator(".log .msg", { hasText: "one" });
      await first.hover();
      await first.getByRole("button", { name: /^Reply/ }).click();
      const panel = ana.getByRole("complementary", { name: "Thread" });
      await panel.locator(".msg", { hasText: "one" }).waitFor();
      for (const width of [1280, 1000]) {
        await ana.setViewportSize({ width, height: 800 });
        await ana.locator(".log .msg").last().hover();
        for (const control of roomControls(ana)) {
          expect({
            width,
            control: String(control),
            reachable: await reachable(control),
          })
            .toEqual({ width, control: String(control), reachable: true });
        }
        await expect(reachable(panel.getByLabel("Reply in thread")))
          .resolves.toBe(true);
      }
      // Reply on another message while the thread is open: it opens there.
      const third = ana.locator(".log .msg", { hasText: "three" });
      await third.hover();
      await third.getByRole("button", { name: /^Reply/ }).click();
      await panel.locator(".msg", { hasText: "three" }).waitFor();
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "desktop layout - a private room's owner sees each member's status dot and Remove button inside the members column",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await olga.getByLabel("New room").fill("ops");
      await olga.getByLabel("Private: members only").check();
      await olga.getByRole("button", { name: "Create" }).click();
      await olga.locator("h1", { hasText: "🔒 ops" }).waitFor();
      await member(w, "benedikt_longname");
      await olga.getByLabel("Invite someone").fill("benedikt_longname");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      const row = olga.locator(".members-list li", {
        hasText: "benedikt_longname",
      });
      const remove = row.getByRole("button", { name: /^Remove/ });
      await remove.waitFor();
      const column = await olga.locator("aside.members").boundingBox();
      const button = await remove.boundingBox();
      const dot = await row.locator(".dot").boundingBox();
      expect(column && button && dot).toBeTruthy();
      expect(button!.x + button!.width).toBeLessThanOrEqual(
        column!.x + column!.width,
      );
      expect(dot!.width).toBeGreaterThan(0);
      await expect(reachable(remove)).resolves.toBe(true);
      expect(errorsOf(olga)).toEqual([]);
    });
  },
});
