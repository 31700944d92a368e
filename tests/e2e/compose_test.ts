/**
 * Completion and emoji in the composer, in Chromium: `@` members by
 * keyboard alone (and `@here` reaching the mention badge of someone in
 * another room), `#` rooms from the directory, `:` emoji shortcodes, and
 * the emoji picker, whose code and data load only when it is opened.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { seriousViolations } from "@/tests/helpers/axe.ts";
import {
  createRoom,
  errorsOf,
  history,
  PHONE,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

/** The labels of the suggestions shown, and which one is active. */
async function suggestions(page: Page) {
  const list = page.getByRole("listbox", { name: "Suggestions" });
  await list.waitFor();
  const options = await list.getByRole("option").evaluateAll((els) =>
    els.map((el) => ({
      label: el.querySelector("bdi")?.textContent ?? "",
      id: el.id,
      selected: el.getAttribute("aria-selected") === "true",
    }))
  );
  const activeId = await page.locator("#composer").getAttribute(
    "aria-activedescendant",
  );
  return {
    labels: options.map((o) => o.label),
    active: options.find((o) => o.selected)?.label,
    // The textarea names the highlighted option for screen readers.
    activeIsDescendant: options.find((o) => o.selected)?.id === activeId,
  };
}

Deno.test({
  name:
    "compose - @ completes a member by keyboard alone; @here reaches the mention badge of an online member elsewhere",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const mina = await visitor(w, "mina");
      await visitor(w, "jimin");
      const bo = await visitor(w, "bo", { bypassCSP: true });
      // mina reads another room: general's badge counts her mentions.
      await mina.locator('a.room[data-room="random"]').click();
      await mina.locator("h1", { hasText: "# random" }).waitFor();
      await bo.locator('.members-list li:has-text("jimin")').waitFor();

      await bo.locator("#composer").focus();
      await bo.keyboard.type("hi @mi");
      await bo.waitForFunction(() =>
        document.querySelectorAll("#composer-suggest [role=option]").length ===
          2
      );
      expect(await suggestions(bo)).toEqual({
        labels: ["mina", "jimin"],
        active: "mina",
        activeIsDescendant: true,
      });
      await bo.keyboard.press("ArrowDown");
      expect((await suggestions(bo)).active).toBe("jimin");
      expect((await suggestions(bo)).activeIsDescendant).toBe(true);
      await bo.keyboard.press("ArrowUp");
      expect((await suggestions(bo)).active).toBe("mina");
      expect(await seriousViolations(bo)).toEqual([]);
      await bo.keyboard.press("Enter");
      await expect(bo.locator("#composer").inputValue()).resolves.toBe(
        "hi @mina ",
      );
      await expect(bo.getByRole("listbox").count()).resolves.toBe(0);
      await bo.keyboard.type("ready?");
      await bo.keyboard.press("Enter");
      await bo.locator(".msg.own:not(.pending)", { hasText: "ready?" })
        .waitFor();

      // Escape closes the list, and typing on in that token keeps it closed.
      await bo.keyboard.type("@ji");
      await suggestions(bo);
      await bo.keyboard.press("Escape");
      await expect(bo.getByRole("listbox").count()).resolves.toBe(0);
      await bo.keyboard.type("m");
      await expect(bo.locator("#composer").inputValue()).resolves.toBe("@jim");
      await expect(bo.getByRole("listbox").count()).resolves.toBe(0);
      await bo.keyboard.press("Control+a");
      await bo.keyboard.press("Backspace");

      // A name typed out in full: Enter sends rather than picks.
      await bo.keyboard.type("thanks @mina");
      expect((await suggestions(bo)).active).toBe("mina");
      await bo.keyboard.press("Enter");
      await bo.locator(".msg.own:not(.pending)", { hasText: "thanks @mina" })
        .waitFor();
      await expect(bo.locator("#composer").inputValue()).resolves.toBe("");

      // @here, picked with Tab, notifies the online members.
      await bo.keyboard.type("@he");
      expect((await suggestions(bo)).labels[0]).toBe("here");
      await bo.keyboard.press("Tab");
      await bo.keyboard.type("standup now");
      await expect(bo.locator("#composer").inputValue()).resolves.toBe(
        "@here standup now",
      );
      await bo.keyboard.press("Enter");
      await bo.locator(".msg.own:not(.pending)", { hasText: "standup now" })
        .waitFor();
      expect((await history(w)).map((m) => m.text)).toEqual([
        "hi @mina ready?",
        "thanks @mina",
        "@here standup now",
      ]);
      await mina.locator('a.room[data-room="general"] .badge.mention', {
        hasText: "@3",
      }).waitFor();
      // The count is the server's: it holds after a reload.
      await mina.reload();
      await mina.locator('a.room[data-room="general"] .badge.mention', {
        hasText: "@3",
      }).waitFor();
      expect(errorsOf(bo)).toEqual([]);
    });
  },
});

/** A guest's member key for `token`, as the server derives it. */
async function guestKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(token),
  );
  const b64 = btoa(String.fromCharCode(...new Uint8Array(digest)));
  return b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

Deno.test({
  name:
    "compose - @ in a room bigger than the page's member list offers a member it has not loaded, found by the server",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // 80 guests joined #general (on their first visit) and left; zara's
      // key sorts last, so the first page of members (50) leaves her out.
      const guests = await Promise.all(
        Array.from({ length: 80 }, async () => {
          const token = crypto.randomUUID();
          return { token, key: await guestKey(token) };
        }),
      );
      guests.sort((a, b) => a.key < b.key ? -1 : 1);
      const url = w.server.url.replace("http", "ws");
      for (let i = 0; i < guests.length; i += 10) {
        await Promise.all(
          guests.slice(i, i + 10).map(async ({ token }, j) => {
            const name = i + j === guests.length - 1 ? "zara" : `guest${i + j}`;
            const ws = new WebSocket(`${url}/ws?name=${name}&token=${token}`);
            await new Promise((r) => ws.onmessage = r);
            const closed = new Promise((r) => ws.onclose = r);
            ws.close();
            await closed;
          }),
        );
      }
      const bo = await visitor(w, "bo");
      const listed = bo.locator(".members-list li");
      await bo.waitForFunction(() =>
        document.querySelectorAll(".members-list li").length >= 50
      );
      expect(await listed.count()).toBeLessThan(81);
      await expect(listed.filter({ hasText: "zara" }).count()).resolves.toBe(
        0,
      );

      await bo.locator("#composer").focus();
      await bo.keyboard.type("hi @zar");
      await bo.locator("#composer-suggest [role=option]", { hasText: "zara" })
        .waitFor();
      expect(await suggestions(bo)).toEqual({
        labels: ["zara"],
        active: "zara",
        activeIsDescendant: true,
      });
      await bo.keyboard.press("Enter");
      await expect(bo.locator("#composer").inputValue()).resolves.toBe(
        "hi @zara ",
      );
      expect(errorsOf(bo)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "compose - # completes rooms (one's own and the directory's), : completes emoji shortcodes",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ben = await visitor(w, "ben");
      await createRoom(ben, "design");
      const ana = await visitor(w, "ana");
      const composer = ana.locator("#composer");
      await composer.focus();
      await ana.keyboard.type("see #");
      // Her own rooms first, then the directory's.
      expect((await suggestions(ana)).labels).toEqual([
        "#general",
        "#random",
        "#design",
      ]);
      await ana.keyboard.type("de");
      expect((await suggestions(ana)).labels).toEqual(["#design"]);
      await ana.keyboard.press("Enter");
      await ana.keyboard.type("and :smi");
      const emoji = await suggestions(ana);
      expect(emoji.labels.slice(0, 3)).toEqual([
        ":smile:",
        ":smirk:",
        ":smiley:",
      ]);
      await ana.keyboard.press("ArrowDown");
      await ana.keyboard.press("Enter");
      await ana.keyboard.type(" ok");
      await expect(composer.inputValue()).resolves.toBe(
        "see #design and 😏 ok",
      );
      // Not a token: a time, a mail address.
      await ana.keyboard.type(" at 10:30 to a@b");
      await expect(ana.getByRole("listbox").count()).resolves.toBe(0);
      await ana.keyboard.press("Enter");
      await ana.locator(".msg.own:not(.pending)", { hasText: "😏 ok" })
        .waitFor();
      await ana.locator('.msg.own a.room-link[data-room="design"]').waitFor();
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "compose - the emoji picker's code loads only when opened; it inserts at the caret by keyboard, and by touch on a phone, where a tap picks a completion too",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "ana", { bypassCSP: true });
      const scripts: { url: string; body: string }[] = [];
      const track = (p: Page) =>
        p.on("response", async (r) => {
          if (!r.url().includes("/_fresh/js/")) return;
          scripts.push({ url: r.url(), body: await r.text().catch(() => "") });
        });
      track(page);
      await page.reload();
      await page.locator('.banner[data-state="open"]').waitFor({
        state: "attached",
      });
      const composer = page.locator("#composer");
      await composer.focus();
      // Completion loads its own code; the picker's is still not loaded.
      await page.keyboard.type("@an");
      await page.keyboard.press("Escape");
      const loaded = () => scripts.map((s) => s.body).join("\n");
      await page.waitForFunction(() => document.readyState === "complete");
      expect(scripts.length).toBeGreaterThan(0);
      expect(loaded()).not.toContain("Search emoji");
      expect(loaded()).not.toContain("grinning face");
      const before = scripts.length;

      await page.keyboard.press("Control+a");
      await page.keyboard.type("party ");
      await page.keyboard.press("ArrowLeft"); // The caret before the space.
      // Keyboard: Tab to the emoji button, Enter opens the picker.
      await page.keyboard.press("Tab");
      await expect(page.evaluate(() => document.activeElement?.ariaLabel))
        .resolves.toBe("Emoji");
      await page.keyboard.press("Enter");
      const picker = page.getByRole("dialog", { name: "Emoji picker" });
      await picker.waitFor();
      expect(scripts.length).toBeGreaterThan(before);
      const fresh = scripts.slice(before).map((s) => s.body).join("\n");
      expect(fresh).toContain("Search emoji");
      expect(fresh).toContain("grinning face");
      await expect(page.evaluate(() => document.activeElement?.ariaLabel))
        .resolves.toBe("Search emoji");
      expect(await seriousViolations(page)).toEqual([]);
      await page.keyboard.type("tada");
      await expect(
        picker.getByRole("option", { selected: true }).textContent(),
      ).resolves.toBe("🎉");
      await page.keyboard.press("Enter");
      await picker.waitFor({ state: "detached" });
      await expect(composer.inputValue()).resolves.toBe("party🎉 ");
      await expect(page.evaluate(() => document.activeElement?.id)).resolves
        .toBe("composer");
      // Arrow keys move through the grid as laid out; Escape closes.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await picker.waitFor();
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowDown");
      const columns = await picker.locator(".emoji-grid").first().evaluate(
        (el) => getComputedStyle(el).gridTemplateColumns.split(" ").length,
      );
      await expect(
        picker.getByRole("option", { selected: true }).getAttribute("id"),
      ).resolves.toBe(`emoji-${columns + 1}`);
      await page.keyboard.press("Escape");
      await picker.waitFor({ state: "detached" });
      await expect(page.evaluate(() => document.activeElement?.id)).resolves
        .toBe("composer");
      expect(errorsOf(page)).toEqual([]);

      // A phone: the picker fits the screen and a tap picks.
      const phone = await visitor(w, "bo", { viewport: PHONE, touch: true });
      await phone.locator("#composer").tap();
      await phone.keyboard.type("yes ");
      await phone.getByRole("button", { name: "Emoji" }).tap();
      const small = phone.getByRole("dialog", { name: "Emoji picker" });
      await small.waitFor();
      const box = (await small.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      expect(box.y).toBeGreaterThanOrEqual(0);
      await small.getByRole("option", { name: "thumbs up" }).tap();
      await small.waitFor({ state: "detached" });
      await expect(phone.locator("#composer").inputValue()).resolves.toBe(
        "yes 👍",
      );
      // A tap picks from the completion list too.
      await phone.keyboard.type(" @a");
      await phone.getByRole("option", { name: "ana" }).tap();
      await expect(phone.locator("#composer").inputValue()).resolves.toBe(
        "yes 👍 @ana ",
      );
      await phone.getByRole("button", { name: "Send" }).tap();
      await phone.locator(".msg.own:not(.pending)", { hasText: "yes 👍 @ana" })
        .waitFor();
      expect(errorsOf(phone)).toEqual([]);
    });
  },
});
