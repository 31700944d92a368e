/**
 * Notifications in Chromium (the browser's Notification API stood in for,
 * the tab made to look hidden): a mention or a reply in one's thread
 * notifies, and clicking the notification opens its room or its thread.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  errorsOf,
  member,
  say,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/** Notifications as the page made them: title, and a click to make. */
interface Note {
  title: string;
  onclick: (() => void) | null;
}

/** Makes `page` see granted notifications, kept in `__notes`, and a tab it can hide. */
async function standIn(page: Page): Promise<void> {
  await page.context().addInitScript(() => {
    const w = globalThis as unknown as {
      __notes: Note[];
      __hidden: boolean;
      Notification: unknown;
    };
    w.__notes = [];
    w.__hidden = false;
    w.Notification = class {
      static permission = "granted";
      static requestPermission = () => Promise.resolve("granted");
      title: string;
      onclick: (() => void) | null = null;
      constructor(title: string) {
        this.title = title;
        w.__notes.push(this);
      }
      close() {}
    };
    Object.defineProperty(document, "hidden", { get: () => w.__hidden });
  });
  await page.reload();
  await connected(page);
}

const hide = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    (globalThis as unknown as { __hidden: boolean }).__hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);

/** Waits for a notification whose title has `text`; clicks it. */
async function clickNote(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) =>
      (globalThis as unknown as { __notes: Note[] }).__notes.some((n) =>
        n.title.includes(t)
      ),
    text,
    { timeout: 20_000 },
  );
  await hide(page, false);
  await page.evaluate(
    (t) =>
      (globalThis as unknown as { __notes: Note[] }).__notes.findLast((n) =>
        n.title.includes(t)
      )!.onclick!(),
    text,
  );
}

Deno.test({
  name:
    "notifications - clicking one opens its room, or for a reply in one's thread the thread",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const alice = await member(w, "alice");
      const bob = await member(w, "bob");
      await standIn(bob);
      await say(bob, "who has the keys?");
      // Bob looks elsewhere, and the tab is hidden.
      await bob.locator('a.room[data-room="random"]').click();
      await bob.locator("h1", { hasText: "# random" }).waitFor();
      await hide(bob, true);
      // A mention brings him to general.
      await say(alice, "@bob the keys are here");
      await clickNote(bob, "alice in #general");
      await bob.locator("h1", { hasText: "# general" }).waitFor();

      // A reply in his thread, while he is elsewhere again, opens the thread.
      await bob.locator('a.room[data-room="random"]').click();
      await bob.locator("h1", { hasText: "# random" }).waitFor();
      await hide(bob, true);
      const root = alice.locator(".log .msg", { hasText: "who has the keys?" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const box = alice.getByLabel("Reply in thread");
      await box.fill("I do, at the desk");
      await box.press("Enter");
      await clickNote(bob, "alice replied in a thread in #general");
      await bob.locator("h1", { hasText: "# general" }).waitFor();
      await bob.getByRole("complementary", { name: "Thread" })
        .locator(".msg", { hasText: "I do, at the desk" })
        .waitFor({ timeout: 20_000 });
      for (const p of [alice, bob]) expect(errorsOf(p)).toEqual([]);
    });
  },
});
