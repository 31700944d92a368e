/**
 * Threads in Chromium: two people talk in a thread opened from a message.
 * The replies stay out of the room's timeline (but for one also sent to the
 * room), the first message shows "N replies" with the repliers, live; a
 * reply in one's own thread badges the room as a mention while one is
 * elsewhere; everything is still there after a reload; replies in the
 * panel take reactions, live in the other's panel; on a phone the thread
 * is a full-width drawer.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  errorsOf,
  member,
  openPage,
  PHONE,
  say,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import type { Page } from "playwright-core";
import { seriousViolations } from "@/tests/helpers/axe.ts";

/** Writes `text` in the open thread panel and waits for its ack. */
async function replyInThread(page: Page, text: string, alsoInRoom = false) {
  const panel = page.getByRole("complementary", { name: "Thread" });
  if (alsoInRoom) {
    await panel.getByRole("checkbox", { name: /Also send to #/ }).check();
  }
  await panel.getByLabel("Reply in thread").fill(text);
  await panel.getByLabel("Reply in thread").press("Enter");
  await panel.locator(".msg:not(.pending)", { hasText: text }).waitFor();
}

Deno.test({
  name:
    "threads - a conversation in a thread between two people: summary, mention badge, also in the room, reload, reactions in the panel, phone drawer",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice", { bypassCSP: true });
      const bob = await member(w, "bob");
      await say(alice, "who is up for lunch?");
      const root = bob.locator(".log .msg", {
        hasText: "who is up for lunch?",
      });
      await root.waitFor();

      // Bob replies in a thread from the message's Reply action.
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const bobPanel = bob.getByRole("complementary", { name: "Thread" });
      await bobPanel.locator(".msg", { hasText: "who is up for lunch?" })
        .waitFor();
      await replyInThread(bob, "me! noodles?");

      // Alice sees "1 reply" by bob under her message, live, and not the
      // reply itself in the room.
      const summary = alice.locator(".log .msg .thread-summary");
      await summary.filter({ hasText: "1 reply" }).waitFor();
      expect(await summary.textContent()).toContain("bob");
      expect(await summary.textContent()).toMatch(/last reply \d/);
      await expect(
        alice.locator(".log .msg", { hasText: "me! noodles?" }).count(),
      ).resolves.toBe(0);

      // Alice is elsewhere when bob writes again: her thread's reply badges
      // #general as a mention.
      await alice.locator('a.room[data-room="random"]').click();
      await alice.locator("h1", { hasText: "random" }).waitFor();
      await replyInThread(bob, "12:30 at the usual place");
      await alice.locator('a.room[data-room="general"] .badge.mention')
        .waitFor();

      // Back in #general she opens the thread from "2 replies" and answers,
      // also sending it to the room.
      await alice.locator('a.room[data-room="general"]').click();
      await summary.filter({ hasText: "2 replies" }).click();
      const alicePanel = alice.getByRole("complementary", { name: "Thread" });
      await alicePanel.locator(".msg", { hasText: "12:30 at the usual place" })
        .waitFor();
      await alicePanel.locator(".msg", { hasText: "me! noodles?" }).waitFor();
      // The open panel has no serious accessibility finding.
      await expect(seriousViolations(alice)).resolves.toEqual([]);
      await replyInThread(alice, "see you there", true);
      // Bob gets it in the thread and, also sent, in the room's timeline.
      await bobPanel.locator(".msg", { hasText: "see you there" }).waitFor();
      const inRoom = bob.locator(".log .msg", { hasText: "see you there" });
      await inRoom.waitFor();
      await inRoom.getByRole("button", { name: "Replied in a thread" })
        .waitFor();
      await bob.locator(".log .thread-summary", { hasText: "3 replies" })
        .waitFor();
      expect(
        await bob.locator(".log .thread-summary").textContent(),
      ).toContain("alice, bob");

      // Escape closes the panel; after a reload everything is still there.
      await bob.keyboard.press("Escape");
      await bobPanel.waitFor({ state: "detached" });
      await bob.reload();
      await connected(bob);
      await bob.locator(".log .thread-summary", { hasText: "3 replies" })
        .click();
      await bobPanel.locator(".msg", { hasText: "see you there" }).waitFor();
      await expect(
        bobPanel.locator(".thread-replies .msg .body").allTextContents(),
      ).resolves.toEqual([
        "me! noodles?",
        "12:30 at the usual place",
        "see you there",
      ]);

      // A reply in the panel takes reactions as a room message does, live
      // in the other's open panel.
      const noodles = (panel: typeof bobPanel) =>
        panel.locator(".thread-replies .msg", { hasText: "me! noodles?" });
      await noodles(bobPanel).hover();
      await noodles(bobPanel).getByRole("button", { name: /^Add a reaction/ })
        .click();
      await noodles(bobPanel).getByRole("button", { name: "React with 🎉" })
        .click();
      const bobParty = noodles(bobPanel).locator(".reaction", {
        hasText: "🎉",
      });
      await bobParty.locator(".count", { hasText: "1" }).waitFor();
      expect(await bobParty.getAttribute("aria-pressed")).toBe("true");
      const aliceParty = noodles(alicePanel).locator(".reaction", {
        hasText: "🎉",
      });
      await aliceParty.locator(".count", { hasText: "1" }).waitFor();
      expect(await aliceParty.getAttribute("aria-pressed")).toBe("false");
      await aliceParty.click();
      await bobParty.locator(".count", { hasText: "2" }).waitFor();
      await aliceParty.hover();
      await noodles(alicePanel).getByRole("tooltip")
        .filter({ hasText: "🎉 by bob, alice" }).waitFor();

      // One's own reply can be deleted from the panel.
      const own = bobPanel.locator(".thread-replies .msg", {
        hasText: "12:30 at the usual place",
      });
      await own.hover();
      await own.getByRole("button", { name: /^Delete/ }).click();
      await own.getByRole("button", { name: /^Really delete/ }).click();
      await bobPanel.locator(".thread-replies .msg.deleted").waitFor();
      // It no longer counts, live for both: two replies, by alice and bob.
      for (const p of [alice, bob]) {
        await p.locator(".log .thread-summary", { hasText: "2 replies" })
          .waitFor();
      }
      expect(await summary.textContent()).toContain("alice, bob");

      // On a phone the thread is a drawer over the whole width.
      const phone = await openPage(w, { viewport: PHONE });
      await phone.getByLabel("Display name").fill("cy");
      await phone.getByRole("button", { name: "Join the chat" }).click();
      await connected(phone);
      await phone.locator(".log .thread-summary", { hasText: "2 replies" })
        .click();
      const drawer = phone.getByRole("complementary", { name: "Thread" });
      await drawer.locator(".msg", { hasText: "see you there" }).waitFor();
      // Someone opening the thread later sees the replies' reactions.
      await drawer.locator(".thread-replies .msg", { hasText: "me! noodles?" })
        .locator(".reaction", { hasText: "🎉" }).locator(".count", {
          hasText: "2",
        }).waitFor();
      const box = await drawer.boundingBox();
      expect(box?.width).toBe(PHONE.width);
      await drawer.getByRole("button", { name: "Close thread" }).click();
      await drawer.waitFor({ state: "detached" });

      for (const p of [alice, bob, phone]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "threads - one's own reply is edited in the panel, by its Edit action or Up-arrow, live for the other reader; Escape cancels an edit without closing the panel",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      await say(alice, "release on friday?");
      const root = (page: Page) =>
        page.locator(".log .msg", { hasText: "release on friday?" });
      await root(bob).waitFor();
      await root(bob).hover();
      await root(bob).getByRole("button", { name: /^Reply/ }).click();
      const bobPanel = bob.getByRole("complementary", { name: "Thread" });
      await replyInThread(bob, "fine by me", true);
      await alice.locator(".log .thread-summary", { hasText: "1 reply" })
        .click();
      const alicePanel = alice.getByRole("complementary", { name: "Thread" });
      await alicePanel.locator(".msg", { hasText: "fine by me" }).waitFor();
      // Alice's replies carry no Edit of bob's.
      await expect(
        alicePanel.locator(".thread-replies .msg", { hasText: "fine by me" })
          .getByRole("button", { name: /^Edit/ }).count(),
      ).resolves.toBe(0);

      // Bob edits his reply from its Edit action; the box says so.
      const box = bobPanel.getByLabel("Reply in thread");
      const reply = bobPanel.locator(".thread-replies .msg", {
        hasText: "fine by me",
      });
      await reply.hover();
      await reply.getByRole("button", { name: /^Edit/ }).click();
      await expect(box.inputValue()).resolves.toBe("fine by me");
      await bobPanel.getByText("Editing your reply").waitFor();
      await bobPanel.getByRole("button", { name: "Save" }).waitFor();
      await box.fill("fine by me, after 3pm");
      await box.press("Enter");
      // Edited in both panels and, as it was also sent there, in the room.
      for (const where of [bobPanel, alicePanel, alice.locator(".log")]) {
        await where.locator(".msg", { hasText: "fine by me, after 3pm" })
          .locator(".edited").waitFor();
      }
      await expect(box.inputValue()).resolves.toBe("");
      await expect(bobPanel.getByText("Editing your reply").count()).resolves
        .toBe(0);

      // Up-arrow in the empty box takes his last reply; Escape cancels the
      // edit, and only the edit: the panel stays open.
      await replyInThread(bob, "I'll bring the notes");
      await box.focus();
      await box.press("ArrowUp");
      await expect(box.inputValue()).resolves.toBe("I'll bring the notes");
      await box.press("Escape");
      await expect(box.inputValue()).resolves.toBe("");
      await expect(bobPanel.getByText("Editing your reply").count()).resolves
        .toBe(0);
      expect(await bobPanel.isVisible()).toBe(true);
      // A second Escape closes the panel.
      await box.press("Escape");
      await bobPanel.waitFor({ state: "detached" });

      // The edit is stored: after a reload the thread holds the new text.
      await alice.reload();
      await connected(alice);
      await alice.locator(".log .thread-summary", { hasText: "2 replies" })
        .click();
      await expect(
        alicePanel.locator(".thread-replies .msg .body").allTextContents(),
      ).resolves.toEqual(["fine by me, after 3pm", "I'll bring the notes"]);
      for (const p of [alice, bob]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "threads - a thread whose first message is deleted says it takes no more replies, and has no reply box; a reply being written stays readable and the focus moves to the notice",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      await say(alice, "draft plan, soon gone");
      const root = (page: Page) =>
        page.locator(".log .msg", { hasText: "draft plan, soon gone" });
      await root(bob).hover();
      await root(bob).getByRole("button", { name: /^Reply/ }).click();
      await replyInThread(bob, "looks good");
      const bobPanel = bob.getByRole("complementary", { name: "Thread" });
      // Bob is writing another reply when Alice deletes her message.
      await bobPanel.getByLabel("Reply in thread").pressSequentially(
        "one more thing",
      );
      await root(alice).hover();
      await root(alice).getByRole("button", { name: /^Delete/ }).click();
      await root(alice).getByRole("button", { name: /^Really delete/ })
        .click();
      await bobPanel.getByRole("status")
        .filter({ hasText: "takes no more replies" }).waitFor();
      await expect(bobPanel.getByLabel("Reply in thread").count()).resolves
        .toBe(0);
      await expect(
        bobPanel.getByLabel("Your reply, not sent").inputValue(),
      ).resolves.toBe("one more thing");
      await expect(
        bob.evaluate(() =>
          `${document.activeElement?.tagName}.${document.activeElement?.className}`
        ),
      ).resolves.toBe("DIV.thread-closed");
      for (const p of [alice, bob]) expect(errorsOf(p)).toEqual([]);
    });
  },
});
