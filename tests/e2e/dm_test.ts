/**
 * Direct messages in Chromium: one account opens a DM with another from
 * the member list and writes; the other sees it in "Direct messages" with
 * an unread badge, in both of its tabs, until it reads it.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  connected,
  errorsOf,
  member,
  say,
  secondTab,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/**
 * Opens the DM with `name` from their row in `page`'s member list, as its
 * "Message" button does; resolves to the DM's room id once it shows.
 */
async function message(page: Page, name: string): Promise<string> {
  const row = page.locator(".members-list li", { hasText: name });
  await row.getByRole("button", { name: `Message ${name}` }).click();
  await page.locator("h1", { hasText: `@ ${name}` }).waitFor();
  return new URL(page.url()).pathname.slice("/rooms/".length);
}

Deno.test({
  name:
    "dm - started from a member's name, sent, badged on the other side in every tab, cleared by reading",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      // Bob's second tab shares his session.
      const bob2 = await secondTab(bob, "/rooms/random");
      // Alice opens the DM from Bob's name in the member list.
      const dmId = await message(alice, "bob");
      expect(dmId).toMatch(/^dm-[a-z2-7]+$/);
      await alice.locator(
        `ul[aria-labelledby="dms-title"] a.room[data-room="${dmId}"]`,
      ).waitFor();
      await say(alice, "hi bob, just us");
      // A DM can't be left: no room menu on a desktop (it only holds Leave).
      await expect(
        alice.locator('.pane-head summary[aria-label="Room menu"]').isVisible(),
      ).resolves.toBe(false);
      // Bob's sidebar lists the DM under "Direct messages", badged, in both tabs.
      const badged =
        `ul[aria-labelledby="dms-title"] a.room[data-room="${dmId}"] .badge`;
      await bob.locator(badged).waitFor();
      await bob2.locator(badged).waitFor();
      await expect(
        bob.locator(`ul[aria-labelledby="dms-title"] a.room`, {
          hasText: "alice",
        }).count(),
      ).resolves.toBe(1);
      // Reading it in one tab clears the badge in both.
      await bob.locator(`a.room[data-room="${dmId}"]`).click();
      await bob.locator(".msg", { hasText: "hi bob, just us" }).waitFor();
      await bob.locator(`a.room[data-room="${dmId}"] .badge`).waitFor({
        state: "detached",
      });
      await bob2.locator(`a.room[data-room="${dmId}"] .badge`).waitFor({
        state: "detached",
      });
      // Bob answers; it is read on the server, so a reload shows no badge.
      await say(bob, "hi alice");
      await alice.locator(".msg", { hasText: "hi alice" }).waitFor();
      await bob2.reload();
      await connected(bob2);
      await bob2.locator(`a.room[data-room="${dmId}"]`).waitFor();
      await expect(
        bob2.locator(`a.room[data-room="${dmId}"] .badge`).count(),
      ).resolves.toBe(0);
      // A search hit in the DM names it as the sidebar does: the person.
      await bob.getByRole("button", { name: "Search", exact: true }).click();
      const box = bob.getByRole("searchbox", { name: "Search messages" });
      await box.fill("just us");
      await box.press("Enter");
      const hit = bob.locator(".search-hit", { hasText: "just us" });
      await hit.waitFor({ timeout: 20_000 });
      const text = await hit.textContent() ?? "";
      expect(text).toContain("@alice");
      expect(text).not.toContain(dmId);
      await box.press("Escape");
      await box.press("Escape");
      // No one else can read it.
      const res = await fetch(
        `${w.server.url}/api/rooms/${dmId}/messages`,
      );
      await res.body?.cancel();
      expect(res.status).toBe(404);
      for (const p of [alice, bob, bob2]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "dm - closed from the sidebar by keyboard: gone from every tab and after a reload, the page moves on; a new message brings it back badged",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      const bob2 = await secondTab(bob, "/rooms/random");
      const dmId = await message(alice, "bob");
      await say(alice, "hi bob");
      const row = `ul[aria-labelledby="dms-title"] a.room[data-room="${dmId}"]`;
      await bob.locator(row).click();
      await bob.locator(".msg", { hasText: "hi bob" }).waitFor();
      // Keyboard only: from the DM's link, Tab reaches its close button.
      await bob.locator(row).focus();
      await bob.keyboard.press("Tab");
      const focused = () =>
        bob.evaluate(() => document.activeElement?.getAttribute("aria-label"));
      await until(async () =>
        await focused() === "Close the conversation with alice"
      );
      await bob.keyboard.press("Enter");
      // Bob's page moves on to a room; the DM leaves both tabs' lists.
      await bob.waitForURL((u) => !u.pathname.includes(dmId));
      await bob.locator(row).waitFor({ state: "detached" });
      await bob2.locator(row).waitFor({ state: "detached" });
      await bob2.reload();
      await connected(bob2);
      await bob2.locator('ul[aria-labelledby="rooms-title"] a.room').first()
        .waitFor();
      await expect(bob2.locator(row).count()).resolves.toBe(0);
      // Alice still has it, and writes again: back for bob, badged.
      await expect(alice.locator(row).count()).resolves.toBe(1);
      await say(alice, "one more thing");
      await bob.locator(`${row} .badge`).waitFor();
      await bob2.locator(`${row} .badge`).waitFor();
      for (const p of [alice, bob, bob2]) expect(errorsOf(p)).toEqual([]);
    });
  },
});
