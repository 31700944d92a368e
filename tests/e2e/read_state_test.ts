/**
 * Read state in Chromium: unread counts come from the server and follow
 * the reader across tabs and reloads; a message deleted before it was read
 * leaves the count; a room opens with a "New" divider above the first
 * message not read yet.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  say,
  secondTab,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "read state - reading in one tab clears the badge in the other, and it stays read after a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const tab1 = await visitor(w, "ana");
      // The same guest (same storage, same token) in a second tab.
      const tab2 = await secondTab(tab1, "/rooms/general");
      (await seed(w, ["one", "two @ana"], { room: "random", name: "ben" }))
        .close();
      // Membership events count too, so the number of unread may vary.
      const badge = '.badge.mention[aria-label$="unread, 1 mention"]';
      await tab1.locator(`a.room[data-room="random"] ${badge}`).waitFor();
      await tab2.locator(`a.room[data-room="random"] ${badge}`).waitFor();
      await tab1.locator('a.room[data-room="random"]').click();
      await tab1.locator(".msg", { hasText: "two @ana" }).waitFor();
      await tab2.locator('a.room[data-room="random"] .badge').waitFor({
        state: "detached",
      });
      await tab2.reload();
      await connected(tab2);
      await tab2.locator('a.room[data-room="random"]').waitFor();
      await expect(tab2.locator('a.room[data-room="random"] .badge').count())
        .resolves.toBe(0);
    });
  },
});

Deno.test({
  name:
    "read state - a room opens with a New divider above the first unread message; a mention of me is highlighted",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "read already");
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      (await seed(w, ["first new", "second new @ana"], { name: "ben" }))
        .close();
      await ana.locator('a.room[data-room="general"] .badge').waitFor();
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator(".msg", { hasText: "second new" }).waitFor();
      // The divider sits right above the first message not read.
      await expect(
        ana.locator(".new-divider ~ li.msg").first().textContent(),
      ).resolves.toContain("first new");
      await expect(
        ana.locator(".new-divider ~ li.msg", { hasText: "read already" })
          .count(),
      ).resolves.toBe(0);
      await expect(ana.locator(".new-divider").count()).resolves.toBe(1);
      await expect(
        ana.locator(".msg.mentions-me").textContent(),
      ).resolves.toContain("second new @ana");
      // Opened again, with everything read, there is none.
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator(".msg", { hasText: "second new" }).waitFor();
      await expect(ana.locator(".new-divider").count()).resolves.toBe(0);
      // After a reload of a room read up to the end, none either.
      await ana.reload();
      await connected(ana);
      await ana.locator(".msg", { hasText: "second new" }).waitFor();
      await expect(ana.locator(".new-divider").count()).resolves.toBe(0);
    });
  },
});

Deno.test({
  name:
    "read state - a message deleted before it was read leaves the badge at once and after a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await seed(w, [], { room: "random", name: "ben" });
      // The join lines are written (and the joiners' read marks set, which
      // recounts), and random is read: no count of the server's is due
      // while ben writes.
      await ana.locator("li.event", { hasText: "ben joined" }).waitFor();
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("li.event", { hasText: "ben joined" }).waitFor();
      await ana.locator('a.room[data-room="general"]').click();
      await ana.locator("h1", { hasText: "# general" }).waitFor();
      const ids = new Map<string, number>();
      ben.onmessage = (e) => {
        const f = JSON.parse(e.data);
        if (f.type === "ack") ids.set(f.clientId, f.id);
      };
      for (const text of ["keep", "oops", "also keep"]) {
        ben.send(
          JSON.stringify({
            type: "send",
            room: "random",
            text,
            clientId: text,
          }),
        );
      }
      const badge = ana.locator('a.room[data-room="random"] .badge');
      await ana.locator(
        'a.room[data-room="random"] .badge[aria-label="3 unread"]',
      ).waitFor();
      expect(ids.get("oops")).toBeGreaterThan(0);
      ben.send(
        JSON.stringify({ type: "delete", room: "random", id: ids.get("oops") }),
      );
      await ana.locator(
        'a.room[data-room="random"] .badge[aria-label="2 unread"]',
      ).waitFor();
      await ana.reload();
      await connected(ana);
      await ana.locator(
        'a.room[data-room="random"] .badge[aria-label="2 unread"]',
      ).waitFor();
      await expect(badge.textContent()).resolves.toBe("2");
      ben.close();
    });
  },
});
