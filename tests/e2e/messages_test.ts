/**
 * Messages in Chromium: keyboard editing, code blocks, room links, times,
 * what screen readers are told, a "Really delete?" that doesn't stay
 * armed, and where the focus goes after a delete.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  createRoom,
  history,
  joinRoom,
  member,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

const activeText = (page: Page) =>
  page.evaluate(() => document.activeElement?.textContent ?? "");

Deno.test({
  name:
    "messages - edit and delete by keyboard alone: a focusable toolbar, Up-arrow edits the last, Escape cancels",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "first");
      await say(ana, "secnod");
      const composer = ana.locator("#composer");
      // Shift+Tab from the composer reaches the last message's Delete, then Edit.
      await composer.focus();
      for (let i = 0; i < 8; i++) {
        if ((await activeText(ana)).startsWith("Edit")) break;
        await ana.keyboard.press("Shift+Tab");
      }
      expect(await activeText(ana)).toMatch(/^Edit/);
      await expect(
        ana.locator(".msg", { hasText: "secnod" }).locator(".actions")
          .evaluate((el) => getComputedStyle(el).opacity),
      ).resolves.toBe("1");
      await ana.keyboard.press("Enter");
      await expect(composer.inputValue()).resolves.toBe("secnod");
      await ana.locator(".editing-line").waitFor();
      await ana.keyboard.press("Escape");
      await expect(ana.locator(".editing-line").count()).resolves.toBe(0);
      await expect(composer.inputValue()).resolves.toBe("");
      // Up-arrow in the empty composer edits the last message.
      await ana.keyboard.press("ArrowUp");
      await expect(composer.inputValue()).resolves.toBe("secnod");
      await composer.fill("second");
      await ana.keyboard.press("Enter");
      await ana.locator(".msg", { hasText: "second" }).locator(".edited")
        .waitFor();
      expect((await history(w)).map((m) => m.text)).toEqual([
        "first",
        "second",
      ]);
    });
  },
});

Deno.test({
  name:
    "messages - quoted lines and lists show as a quote and lists, live and after a reload, for the reader too",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await member(w, "ana");
      const bo = await member(w, "bo");
      await say(
        ana,
        "> can you bring\n> the snacks?\nsure:\n- chips\n- **salsa**\n3. later\n4. done",
      );
      for (const reload of [false, true]) {
        if (reload) await bo.reload();
        const msg = bo.locator(".log .msg", { hasText: "can you bring" });
        await msg.waitFor();
        await expect(msg.locator("blockquote").innerText()).resolves.toBe(
          "can you bring\nthe snacks?",
        );
        await expect(msg.locator("ul > li").allInnerTexts()).resolves.toEqual([
          "chips",
          "salsa",
        ]);
        await msg.locator("ul > li strong", { hasText: "salsa" }).waitFor();
        await expect(msg.locator("ol").getAttribute("start")).resolves.toBe(
          "3",
        );
        await expect(msg.locator("ol > li").allInnerTexts()).resolves.toEqual([
          "later",
          "done",
        ]);
        await expect(
          msg.locator("ul > li").first().evaluate((el) =>
            getComputedStyle(el).display + " " +
            getComputedStyle(el).listStyleType
          ),
        ).resolves.toBe("list-item disc");
        // No marker characters are left in the text.
        await expect(msg.locator(".body").innerText()).resolves.not
          .toMatch(/^[>-] /m);
      }
      // The quote is set off by a rule on its left.
      const border = await bo.locator(".log blockquote").evaluate((el) =>
        getComputedStyle(el).borderLeftWidth
      );
      expect(border).toBe("3px");
    });
  },
});

Deno.test({
  name:
    "messages - fenced code is a monospace block without backticks; #room links open the room",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "look:\n```ts\nconst x = `y`;\n  indented();\n```");
      const pre = ana.locator(".msg pre code");
      await pre.waitFor();
      await expect(pre.textContent()).resolves.toBe(
        "const x = `y`;\n  indented();",
      );
      await expect(ana.locator(".msg .body").first().textContent()).resolves
        .not.toContain("```");
      const font = await pre.evaluate((el) => getComputedStyle(el).fontFamily);
      expect(font).toMatch(/mono|Menlo/i);
      await say(ana, "see #random for that");
      await ana.locator(".msg a.room-link", { hasText: "#random" }).click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      expect(new URL(ana.url()).pathname).toBe("/rooms/random");
    });
  },
});

Deno.test({
  name:
    "messages - times use the locale's format: no leading zero in 12-hour locales",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // A zone where it is now between 1 and 9 o'clock, am or pm.
      const hour = new Date().getUTCHours();
      let offset = 3 - hour;
      if (offset < -12) offset += 24;
      if (offset > 14) offset -= 24;
      const zone = offset === 0
        ? "Etc/GMT"
        : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
      const context = await w.browser.newContext({
        locale: "en-US",
        timezoneId: zone,
      });
      w.contexts.push(context);
      const us = await context.newPage();
      await us.goto(`${w.server.url}/rooms/general`);
      await us.getByLabel("Display name").fill("sam");
      await us.getByRole("button", { name: "Join the chat" }).click();
      const ana = await visitor(w, "ana");
      await say(ana, "now");
      const time = us.locator(".msg time").last();
      await us.locator(".msg", { hasText: "now" }).waitFor();
      expect(await time.textContent()).toMatch(/^[1-9]:\d\d\s[AP]M$/);
    });
  },
});

Deno.test({
  name:
    "messages - screen readers hear each line's author, 'Sent', and only new messages announced",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      // Ben's "joined" line comes a moment later (events are coalesced);
      // landing between "one" and "two" it would split the group.
      await ben.locator(".notice.event", { hasText: "ben" }).waitFor();
      await say(ana, "one");
      await say(ana, "two");
      const grouped = ben.locator(".msg.grouped", { hasText: "two" });
      await grouped.waitFor();
      await expect(grouped.ariaSnapshot()).resolves.toContain("ana:");
      const mine = ana.locator(".msg.own", { hasText: "two" });
      const snapshot = await mine.ariaSnapshot();
      expect(snapshot).toContain("Sent");
      expect(snapshot).not.toContain("✓");
      // The log itself is not a live region; one polite announcer is.
      await expect(ben.locator(".log").getAttribute("aria-live")).resolves
        .toBe(null);
      await expect(ben.locator(".log").getAttribute("role")).resolves.not
        .toBe("log");
      await expect(ben.locator("[aria-live]:has(.msg)").count()).resolves
        .toBe(0);
      const announcer = ben.locator("#announcer");
      await expect(announcer.getAttribute("aria-live")).resolves.toBe(
        "polite",
      );
      await expect(announcer.textContent()).resolves.toBe("ana: two");
      // Switching rooms and loading history announce nothing.
      await ben.locator('a.room[data-room="random"]').click();
      await ben.locator("h1", { hasText: "# random" }).waitFor();
      await ben.locator('a.room[data-room="general"]').click();
      await ben.locator("h1", { hasText: "# general" }).waitFor();
      await expect(announcer.textContent()).resolves.toBe("ana: two");
      await say(ana, "three");
      await ben.locator("#announcer", { hasText: "ana: three" }).waitFor();
    });
  },
});

Deno.test({
  name:
    'messages - "Really delete?" disarms when the pointer or the focus leaves the message, on Escape, or after a few seconds',
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "keep me");
      await say(ana, "below");
      const id = await ana.locator(".log .msg", { hasText: "keep me" })
        .getAttribute("data-id");
      const msg = ana.locator(`.log .msg[data-id="${id}"]`);
      const armed = msg.getByRole("button", { name: /^Really delete/ });
      const unarmed = msg.getByRole("button", { name: /^Delete/ });

      // The pointer moves away, and later comes back for one click.
      await msg.hover();
      await unarmed.click();
      await armed.waitFor();
      await ana.locator(".log .msg", { hasText: "below" }).hover();
      await unarmed.waitFor();
      await msg.hover();
      await unarmed.click();
      await armed.waitFor();
      await ana.locator("#composer").hover();
      await unarmed.waitFor();

      // The keyboard moves on.
      await unarmed.focus();
      await ana.keyboard.press("Enter");
      await armed.waitFor();
      await ana.keyboard.press("Tab");
      await unarmed.waitFor();

      // Escape takes it back at once (well before it would disarm by
      // itself), the focus staying on the button.
      await unarmed.focus();
      await ana.keyboard.press("Enter");
      await armed.waitFor();
      await ana.keyboard.press("Escape");
      await unarmed.waitFor({ timeout: 2000 });
      await expect(ana.evaluate(() => document.activeElement?.textContent))
        .resolves.toMatch(/^Delete/);

      // Nobody moves: it disarms by itself.
      await unarmed.focus();
      await ana.keyboard.press("Enter");
      await armed.waitFor();
      await unarmed.waitFor({ timeout: 10_000 });
      await expect(ana.evaluate(() => document.activeElement?.textContent))
        .resolves.toMatch(/^Delete/);

      // Armed and pressed again, it deletes.
      await ana.keyboard.press("Enter");
      await armed.waitFor();
      await ana.keyboard.press("Enter");
      await msg.locator(".body", { hasText: "Message deleted" }).waitFor();
      expect((await history(w)).map((m) => [m.text, m.deleted ?? false]))
        .toEqual([["", true], ["below", false]]);
    });
  },
});

Deno.test({
  name:
    "messages - a delete by keyboard moves the focus to the next message, else the previous, else the message box",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      for (const text of ["one", "two", "three"]) await say(ana, text);
      const ids = await ana.locator(".log .msg").evaluateAll((els) =>
        els.map((el) => (el as HTMLElement).dataset.id!)
      );
      expect(ids.length).toBe(3);
      const row = (i: number) => ana.locator(`.log .msg[data-id="${ids[i]}"]`);
      /** The message holding the focus, or the focused element's id. */
      const focus = () =>
        ana.evaluate(() => {
          const el = document.activeElement;
          return el?.closest<HTMLElement>(".msg")?.dataset.id ?? el?.id ?? "";
        });
      const del = async (i: number) => {
        await row(i).getByRole("button", { name: /^Delete/ }).focus();
        await ana.keyboard.press("Enter");
        await row(i).getByRole("button", { name: /^Really delete/ }).waitFor();
        await ana.keyboard.press("Enter");
        await row(i).locator(".body", { hasText: "Message deleted" }).waitFor();
      };
      await del(1);
      await expect(focus()).resolves.toBe(ids[2]);
      // A Tab goes on from there, not from the top of the page.
      await ana.keyboard.press("Tab");
      await expect(focus()).resolves.toBe(ids[2]);
      await del(2);
      await expect(focus()).resolves.toBe(ids[0]);
      await del(0);
      await expect(focus()).resolves.toBe("composer");
    });
  },
});

Deno.test({
  name:
    "messages - a message deleted by its author while someone else's focus is on its Reply moves that focus to a neighbour, not the page's top; a click elsewhere is left alone",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      for (const text of ["one", "two", "three"]) await say(ana, text);
      await ben.locator(".log .msg", { hasText: "three" }).waitFor();
      const ids = await ben.locator(".log .msg:not(.event)").evaluateAll((
        els,
      ) => els.map((el) => (el as HTMLElement).dataset.id!));
      const [, two, three] = ids.slice(-3);
      /** The message holding Ben's focus, or the focused element's id or tag. */
      const focus = () =>
        ben.evaluate(() => {
          const el = document.activeElement;
          return el?.closest<HTMLElement>(".msg")?.dataset.id ?? el?.id ??
            el?.tagName ?? "";
        });
      await ben.locator(`.log .msg[data-id="${two}"]`).getByRole("button", {
        name: /^Reply/,
      }).focus();
      // Ana deletes by keyboard: a hover can be lost on a busy machine.
      const deleteByKeys = async (id: string) => {
        const msg = ana.locator(`.log .msg[data-id="${id}"]`);
        await msg.getByRole("button", { name: /^Delete/ }).focus();
        await ana.keyboard.press("Enter");
        await msg.getByRole("button", { name: /^Really delete/ }).waitFor();
        await ana.keyboard.press("Enter");
      };
      await deleteByKeys(two);
      await ben.locator(`.log .msg[data-id="${two}"] .body`, {
        hasText: "Message deleted",
      }).waitFor();
      await expect(focus()).resolves.toBe(three);
      // Ben clicks the empty log (the focus goes to the page), then a
      // message comes: the focus stays where his click left it.
      await ben.locator(".log").click({ position: { x: 5, y: 5 } });
      const before = await focus();
      await say(ana, "four");
      await ben.locator(".log .msg", { hasText: "four" }).waitFor();
      await expect(focus()).resolves.toBe(before);
      // From a Reply to a click on blank space, then the message goes: the
      // focus stays where the click left it too.
      await ben.locator(`.log .msg[data-id="${three}"]`).getByRole("button", {
        name: /^Reply/,
      }).focus();
      await ben.locator(".log").click({ position: { x: 5, y: 5 } });
      const clicked = await focus();
      await deleteByKeys(three);
      await ben.locator(`.log .msg[data-id="${three}"] .body`, {
        hasText: "Message deleted",
      }).waitFor();
      await expect(focus()).resolves.toBe(clicked);
    });
  },
});

Deno.test({
  name:
    "messages - a one-line message under its author's last (grouped) keeps its actions clear of its ☺+ and Pin: each takes the click, and so does the message above's",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await createRoom(olga, "ops");
      const ben = await visitor(w, "ben", { room: "ops" });
      await joinRoom(ben, "ops");
      await say(ben, "first line");
      await say(ben, "second line");
      const second = olga.locator(".msg", { hasText: "second line" });
      await expect(second.getAttribute("class")).resolves.toContain("grouped");
      // As the owner sees it: every control of the grouped message can be
      // pressed where it shows (a trial click fails when another covers it).
      await second.hover();
      for (
        const name of [
          /^Add a reaction/,
          /^Pin/,
          /^Reply/,
          /^Delete/,
          /^Remove/,
        ]
      ) {
        await second.getByRole("button", { name }).click({
          trial: true,
          timeout: 3000,
        });
      }
      // The message above's ☺+ is not covered by the hidden actions below.
      const first = olga.locator(".msg", { hasText: "first line" });
      await first.hover();
      await first.getByRole("button", { name: /^Add a reaction/ }).click({
        trial: true,
        timeout: 3000,
      });
      await first.getByRole("button", { name: /^Pin/ }).click();
      await first.getByRole("button", { name: /^Unpin/ }).waitFor();
    });
  },
});
