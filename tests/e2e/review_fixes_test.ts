/**
 * Page defects a review found, each through the real page: a DM shows no
 * moderator controls and reads as the person, not its id; Up-arrow in the
 * room edits what the room shows, not a reply kept in a thread; each
 * thread keeps its own reply draft; a room opened while offline loads once
 * the connection is back; an edit saved while offline stays open, said so;
 * a delete or a reaction while offline says it was not done.
 */
import { expect } from "expect";
import { until } from "@/tests/helpers/until.ts";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  errorsOf,
  history,
  member,
  say,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import { spawnServer } from "@/tests/helpers/process.ts";

Deno.test({
  name:
    "review - a DM shows no moderator controls on the other's messages and is named @person, not by its id",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      const bobRow = alice.locator(".members-list li", { hasText: "bob" });
      await bobRow.getByRole("button", { name: "Message bob" }).click();
      await alice.locator("h1", { hasText: "@ bob" }).waitFor();
      const dm = new URL(alice.url()).pathname.slice("/rooms/".length);
      await bob.locator(`a.room[data-room="${dm}"]`).click();
      await bob.locator("h1", { hasText: "@ alice" }).waitFor();
      await say(bob, "hello from bob");
      const msg = alice.locator(".log .msg", { hasText: "hello from bob" });
      await msg.hover();
      // Neither of them owns a DM: no Delete, Remove or Pin of bob's message.
      await msg.getByRole("button", { name: /^Reply/ }).waitFor();
      await expect(msg.locator(".actions button").allTextContents()).resolves
        .toEqual([expect.stringMatching(/^Reply/)]);
      await expect(msg.getByRole("button", { name: /^Pin/ }).count())
        .resolves.toBe(0);
      const composer = alice.locator("#composer");
      await expect(composer.getAttribute("placeholder")).resolves.toBe(
        "Message @bob",
      );
      await expect(alice.title()).resolves.toBe("@bob — Chat");
      await expect(alice.locator(".log").getAttribute("aria-label")).resolves
        .toBe("Messages in @bob");
      for (const p of [alice, bob]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "review - Up-arrow in the room edits the last message the room shows, not a reply kept in its thread; each thread keeps its own reply draft",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      await say(alice, "first topic");
      await say(alice, "second topic");
      const one = alice.locator(".log .msg", { hasText: "first topic" });
      await one.hover();
      await one.getByRole("button", { name: /^Reply/ }).click();
      const panel = alice.getByRole("complementary", { name: "Thread" });
      const box = panel.getByLabel("Reply in thread");
      await box.fill("kept in the thread");
      await box.press("Enter");
      await panel.locator(".msg:not(.pending)", {
        hasText: "kept in the thread",
      })
        .waitFor();
      // A draft for the first thread, then the second thread opens.
      await box.fill("draft for FIRST");
      await panel.getByRole("checkbox", { name: /Also send/ }).check();
      // (By keyboard: the panel covers the room's right side here.)
      const two = alice.locator(".log .msg", { hasText: "second topic" });
      await two.getByRole("button", { name: /^Reply/ }).focus();
      await alice.keyboard.press("Enter");
      await panel.locator(".msg", { hasText: "second topic" }).waitFor();
      // (The drafts swap as the panel's thread changes: a moment after.)
      await until(async () => (await box.inputValue()) === "", {
        what: "the second thread's empty box",
      });
      await expect(
        panel.getByRole("checkbox", { name: /Also send/ }).isChecked(),
      ).resolves.toBe(false);
      // Back in the first thread, its draft is there.
      await one.getByRole("button", { name: /^Reply/ }).focus();
      await alice.keyboard.press("Enter");
      await panel.locator(".thread-replies .msg", {
        hasText: "kept in the thread",
      }).waitFor();
      await until(async () => (await box.inputValue()) === "draft for FIRST", {
        what: "the first thread's draft back",
      });
      await panel.getByRole("button", { name: "Close thread" }).click();

      const composer = alice.locator("#composer");
      await composer.focus();
      await composer.press("ArrowUp");
      await expect(composer.inputValue()).resolves.toBe("second topic");
      expect(errorsOf(alice)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "review - a room opened while offline shows its history once the connection is back",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(w, ["old one in random", "old two in random"], {
        room: "random",
      });
      ws.close();
      const ana = await visitor(w, "ana");
      await ana.context().setOffline(true);
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "random" }).waitFor();
      await ana.context().setOffline(false);
      await ana.evaluate(() => dispatchEvent(new Event("online")));
      await ana.locator(".log .msg", { hasText: "old two in random" })
        .waitFor({ timeout: 30_000 });
      await ana.locator(".log .msg", { hasText: "old one in random" })
        .waitFor();
    });
  },
});

Deno.test({
  name:
    "review - an edit saved while the server is away stays open with a note, and saves once it is back",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      await say(alice, "original text");
      // A reply in a thread, edited offline too.
      const root = alice.locator(".log .msg", { hasText: "original text" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const panel = alice.getByRole("complementary", { name: "Thread" });
      const box = panel.getByLabel("Reply in thread");
      await box.fill("reply text");
      await box.press("Enter");
      await panel.locator(".msg:not(.pending)", { hasText: "reply text" })
        .waitFor();
      await w.server.stop();
      await alice.locator('.banner[data-state="reconnecting"]').waitFor({
        state: "attached",
      });
      await box.press("ArrowUp");
      await box.fill("reply fixed");
      await box.press("Enter");
      await alice.locator(".problem", { hasText: "Not connected" }).waitFor();
      await expect(box.inputValue()).resolves.toBe("reply fixed");
      await panel.locator(".editing-line").waitFor();
      await box.press("Escape"); // The edit ends; the panel stays.
      await panel.getByRole("button", { name: "Close thread" }).click();
      const composer = alice.locator("#composer");
      await composer.focus();
      await composer.press("ArrowUp");
      await composer.fill("corrected text");
      await composer.press("Enter");
      await alice.locator(".problem", { hasText: "Not connected" }).waitFor();
      await expect(composer.inputValue()).resolves.toBe("corrected text");
      await alice.locator(".editing-line").waitFor();
      w.server = await spawnServer(w.port, w.env);
      await alice.locator('.banner[data-state="open"]').waitFor({
        state: "attached",
        timeout: 30_000,
      });
      await composer.press("Enter");
      await alice.locator(".log .msg", { hasText: "corrected text" })
        .locator(".edited").waitFor();
      expect((await history(w, "general")).map((m) => m.text)).toContain(
        "corrected text",
      );
    });
  },
});

Deno.test({
  name:
    "review - a delete or a reaction while the server is away says it was not done; nothing changes when it is back",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      await say(alice, "keep me");
      const msg = alice.locator(".log .msg", { hasText: "keep me" });
      await msg.hover();
      await msg.getByRole("button", { name: /^Reply/ }).click();
      const panel = alice.getByRole("complementary", { name: "Thread" });
      await panel.getByLabel("Reply in thread").fill("keep me too");
      await panel.getByLabel("Reply in thread").press("Enter");
      const reply = panel.locator(".msg:not(.pending)", {
        hasText: "keep me too",
      });
      await reply.waitFor();
      await w.server.stop();
      await alice.locator('.banner[data-state="reconnecting"]').waitFor({
        state: "attached",
      });
      const problem = alice.locator(".problem");
      // Opening another room and coming back clears the page's note.
      const clear = async () => {
        await alice.locator('a.room[data-room="random"]').click();
        await alice.locator('a.room[data-room="general"]').click();
        await problem.waitFor({ state: "detached" });
      };
      const notConnected = async () => {
        await problem.filter({ hasText: /^Not connected: / }).waitFor();
        await clear();
      };
      await reply.hover();
      await reply.getByRole("button", { name: /^Delete/ }).click();
      await reply.getByRole("button", { name: /^Really delete/ }).click();
      await notConnected(); // (The thread closes with the room.)
      await msg.hover();
      await msg.getByRole("button", { name: /^Delete/ }).click();
      await msg.getByRole("button", { name: /^Really delete/ }).click();
      await notConnected();
      await msg.hover();
      await msg.getByRole("button", { name: /^Add a reaction/ }).click();
      await msg.getByRole("button", { name: "React with 👍" }).click();
      await notConnected();

      w.server = await spawnServer(w.port, w.env);
      await alice.locator('.banner[data-state="open"]').waitFor({
        state: "attached",
        timeout: 30_000,
      });
      await say(alice, "back");
      await expect(alice.locator(".msg.deleted").count()).resolves.toBe(0);
      await expect(alice.locator(".reaction").count()).resolves.toBe(0);
      expect((await history(w)).filter((m) => m.deleted)).toEqual([]);
      expect(errorsOf(alice)).toEqual([]);
    });
  },
});
