/**
 * Private rooms in Chromium: created with the "Private" box, hidden from
 * others (404), joined by invitation from the member list, left by removal.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  errorsOf,
  member,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/** Creates the private room `room` from `page`'s sidebar and opens it. */
async function privateRoom(page: Page, room: string): Promise<void> {
  await page.getByLabel("New room").fill(room);
  await page.getByLabel("Private: members only").check();
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("h1", { hasText: `🔒 ${room}` }).waitFor();
}

Deno.test({
  name:
    "private room - members only: others get 404; the owner invites and removes from the member list",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await privateRoom(olga, "ops");
      await say(olga, "for the team only");
      const ben = await member(w, "ben");
      // Not listed, not readable.
      const page = await ben.context().request.get(
        `${w.server.url}/rooms/ops`,
      );
      expect(page.status()).toBe(404);
      const api = await ben.context().request.get(
        `${w.server.url}/api/rooms/ops/messages`,
      );
      expect(api.status()).toBe(404);
      await ben.getByRole("button", { name: "Browse rooms" }).click();
      await ben.locator("dialog[open] a.room", { hasText: "general" })
        .waitFor();
      await expect(
        ben.locator("dialog[open] a.room", { hasText: "ops" }).count(),
      ).resolves.toBe(0);
      await ben.keyboard.press("Escape");
      // A name with no account is refused; the next invite clears that.
      await olga.getByLabel("Invite someone").fill("nosuchperson");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      const problem = olga.locator(".problem", { hasText: "nosuchperson" });
      await problem.waitFor();
      // Invited: the room appears in Ben's sidebar, with its history.
      await olga.getByLabel("Invite someone").fill("ben");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      await ben.locator('a.room[data-room="ops"]').click();
      await problem.waitFor({ state: "detached" });
      await ben.locator(".msg", { hasText: "for the team only" }).waitFor();
      await say(ben, "thanks");
      // Removed: out of the sidebar, told why.
      const row = olga.locator(".members-list li", { hasText: "ben" });
      await row.getByRole("button", { name: /^Remove/ }).click();
      await row.getByRole("button", { name: /^Really remove/ }).click();
      await ben.locator('a.room[data-room="ops"]').waitFor({
        state: "detached",
      });
      await ben.locator(".notice", {
        hasText: "A moderator removed you from this room",
      }).waitFor();
      // The room's history and members go from his page, and no Join that
      // can't work is offered: only an invite brings him back.
      await expect(ben.locator(".log .msg").count()).resolves.toBe(0);
      await ben.getByText("You were removed from this private room.")
        .waitFor();
      await expect(ben.getByRole("button", { name: "Join #ops" }).count())
        .resolves.toBe(0);
      await expect(ben.locator(".members-list li").count()).resolves.toBe(0);
      // Invited again: back with its history.
      await olga.getByLabel("Invite someone").fill("ben");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      await ben.locator('a.room[data-room="ops"]').click();
      await ben.locator(".msg", { hasText: "for the team only" }).waitFor();
      await ben.locator("#composer").waitFor();
      for (const p of [olga, ben]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "private room - an invited guest reads it, also on a reload of its own address (the page knows it by its guest cookie)",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await privateRoom(olga, "ops");
      await say(olga, "guests welcome here");
      const gus = await visitor(w, "gus");
      await olga.getByLabel("Invite someone").fill("gus");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      await gus.locator('a.room[data-room="ops"]').click();
      await gus.locator(".msg", { hasText: "guests welcome here" }).waitFor();
      // The reloaded page knows the guest by its guest cookie (set once
      // connected); anyone without it gets the 404 of a missing room.
      await gus.reload();
      await connected(gus);
      await gus.locator(".msg", { hasText: "guests welcome here" }).waitFor();
      await say(gus, "thanks, olga");
      await olga.locator(".msg", { hasText: "thanks, olga" }).waitFor();
      // Without the token, nothing.
      const res = await fetch(`${w.server.url}/api/rooms/ops/messages`);
      await res.body?.cancel();
      expect(res.status).toBe(404);
      const page = await fetch(`${w.server.url}/rooms/ops`);
      await page.body?.cancel();
      expect(page.status).toBe(404);
      for (const p of [olga, gus]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "private room - a member leaving asks once more (an invite is needed to come back), by keyboard too; its owner, who may come back, and a public room's member leave at once",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await privateRoom(olga, "ops");
      const ben = await member(w, "ben");
      await olga.getByLabel("Invite someone").fill("ben");
      await olga.getByRole("button", { name: "Invite", exact: true }).click();
      await ben.locator('a.room[data-room="ops"]').click();
      await ben.locator("h1", { hasText: "🔒 ops" }).waitFor();
      const menu = ben.getByLabel("Room menu");
      await menu.click();
      await ben.getByRole("button", { name: "Leave room" }).click();
      // Still a member: the menu stays open and asks.
      const really = ben.getByRole("button", {
        name: "Really leave? You'll need an invite to come back.",
      });
      await really.waitFor();
      await expect(ben.locator('a.room[data-room="ops"]').count()).resolves
        .toBe(1);
      // Confirmed from the keyboard: gone from the sidebar.
      await really.focus();
      await ben.keyboard.press("Enter");
      await ben.locator('a.room[data-room="ops"]').waitFor({
        state: "detached",
      });
      // Its owner may come back uninvited: no second press.
      await olga.getByLabel("Room menu").click();
      await olga.getByRole("button", { name: "Leave room" }).click();
      await olga.locator('a.room[data-room="ops"]').waitFor({
        state: "detached",
      });
      // Nor for a public room.
      await ben.locator('a.room[data-room="random"]').click();
      await ben.locator("h1", { hasText: "# random" }).waitFor();
      await menu.click();
      await ben.getByRole("button", { name: "Leave room" }).click();
      await ben.locator('a.room[data-room="random"]').waitFor({
        state: "detached",
      });
      for (const p of [olga, ben]) expect(errorsOf(p)).toEqual([]);
    });
  },
});
