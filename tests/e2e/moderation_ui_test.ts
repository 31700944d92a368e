/**
 * Moderation and authorship in Chromium: a room's creator acts on others'
 * messages; a guest keeps editing its own after a reload.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  createRoom,
  history,
  joinRoom,
  member,
  say,
  secondTab,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "moderation ui - a room's creator can delete others' messages and remove them",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const owner = await member(w, "olga");
      await createRoom(owner, "ops");
      const ben = await visitor(w, "ben", { room: "ops" });
      await joinRoom(ben, "ops");
      await say(ben, "spam spam");
      await say(ben, "more spam");
      const spam = owner.locator(".msg", { hasText: "spam spam" });
      await spam.waitFor();
      await spam.hover();
      await spam.getByRole("button", { name: /^Delete/ }).click();
      await spam.getByRole("button", { name: /^Really delete/ }).click();
      await ben.locator(".msg.deleted").waitFor();
      // After a reload, the rights are still shown (from the server).
      await owner.reload();
      await connected(owner);
      const more = owner.locator(".msg", { hasText: "more spam" });
      await more.hover();
      await more.getByRole("button", { name: /^Remove ben/ }).click();
      await more.getByRole("button", { name: /^Really remove ben/ }).click();
      // Ben's page says so, and the room leaves his sidebar.
      await ben.locator(".notice", {
        hasText: "A moderator removed you from this room",
      }).waitFor();
      await ben.locator('a.room[data-room="ops"]').waitFor({
        state: "detached",
      });
      // Others (here previewing the room) get no such buttons.
      const carl = await visitor(w, "carl", { room: "ops" });
      await carl.locator(".msg", { hasText: "more spam" }).waitFor();
      await expect(
        carl.getByRole("button", { name: /^Delete|^Remove/ }).count(),
      )
        .resolves.toBe(0);
      expect((await history(w, "ops")).map((m) => m.deleted ?? false))
        .toEqual([true, false]);
    });
  },
});

Deno.test({
  name:
    "moderation ui - a guest keeps Edit and Delete on its own messages after a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "before reload");
      await ana.reload();
      await connected(ana);
      const mine = ana.locator(".msg.own", { hasText: "before reload" });
      await mine.hover();
      await mine.getByRole("button", { name: /^Edit/ }).click();
      await ana.locator("#composer").fill("after reload");
      await ana.locator("#composer").press("Enter");
      await ana.locator(".msg", { hasText: "after reload" }).locator(".edited")
        .waitFor();
      expect((await history(w)).map((m) => m.text)).toEqual(["after reload"]);
    });
  },
});

Deno.test({
  name:
    "moderation ui - a guest with two tabs keeps Edit on the messages of both after a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const tab = await secondTab(ana, "/rooms/general");
      // Each tab keeps what it sent; neither may drop the other's.
      await say(ana, "from the first tab");
      await say(tab, "from the second tab");
      await tab.close();
      await ana.reload();
      await connected(ana);
      for (const text of ["from the first tab", "from the second tab"]) {
        const mine = ana.locator(".msg.own", { hasText: text });
        await mine.hover();
        await mine.getByRole("button", { name: /^Edit/ }).waitFor();
      }
    });
  },
});
