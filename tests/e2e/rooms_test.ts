/**
 * Rooms in Chromium: creating one, and moving between them by keyboard.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  createRoom,
  history,
  member,
  say,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import { until } from "@/tests/helpers/until.ts";

Deno.test({
  name:
    "rooms - creating a room states the rule, folds capitals, and takes the creator there",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const input = ana.getByLabel("New room");
      await expect(
        ana.locator("#new-room-rule").textContent(),
      ).resolves.toContain("1–32 letters a–z, digits, _ or -");
      await input.fill("bad room!");
      await input.press("Enter");
      await ana.locator(".create-room .error", {
        hasText: "“bad room!” can't be a room: use 1–32 letters a–z",
      }).waitFor();
      await expect(input.evaluate((el: HTMLInputElement) => el.validity.valid))
        .resolves.toBe(true);
      await input.fill("Design");
      await ana.getByRole("button", { name: "Create" }).click();
      await ana.locator("h1", { hasText: "# design" }).waitFor();
      expect(new URL(ana.url()).pathname).toBe("/rooms/design");
      await expect(ana.locator(".create-room .error").count()).resolves.toBe(
        0,
      );
      // Focus follows the room switch's render, so wait for it.
      await ana.waitForFunction(
        () => document.activeElement?.id === "composer",
        undefined,
        { timeout: 5_000 },
      );
      await say(ana, "first in design");
    });
  },
});

Deno.test({
  name:
    "rooms - keyboard shortcuts: Ctrl+K switches by name, Alt+arrows step rooms and unread rooms, ? lists them",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // Ben is here first, and his stored joins are written before Ana
      // comes, so only his message will be unread for her.
      const ben = await seed(w, [], { name: "ben" });
      await until(async () =>
        (await history(w, "random", { events: true })).length > 0
      );
      const ana = await visitor(w, "ana");
      // A third room, so stepping has somewhere to skip.
      await ana.getByLabel("New room").fill("design");
      await ana.getByLabel("New room").press("Enter");
      await ana.locator("h1", { hasText: "# design" }).waitFor();
      const room = () => new URL(ana.url()).pathname;
      const at = async (id: string) => {
        await ana.locator("h1", { hasText: `# ${id}` }).waitFor();
        expect(room()).toBe(`/rooms/${id}`);
      };
      const order = await ana.locator("a.room").evaluateAll((els) =>
        els.map((e) => e.getAttribute("data-room")!)
      );
      expect(order.length).toBeGreaterThanOrEqual(3);
      // Ctrl+K, type, Enter.
      await ana.keyboard.press("Control+k");
      await ana.locator("dialog[open]", { hasText: "Switch room" }).waitFor();
      await ana.keyboard.type(order[2].slice(0, 3));
      await ana.keyboard.press("Enter");
      await at(order[2]);
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
      // Alt+↑ / Alt+↓, even from the composer.
      await ana.locator("#composer").focus();
      await ana.keyboard.press("Alt+ArrowUp");
      await at(order[1]);
      await ana.keyboard.press("Alt+ArrowDown");
      await at(order[2]);
      // Alt+Shift+↓ skips to the next room with unread messages.
      // Ben is in the default rooms; the room two steps on is one of them.
      expect(["general", "random"]).toContain(order[1]);
      ben.send(JSON.stringify({ type: "join", room: order[1] }));
      ben.send(JSON.stringify({
        type: "send",
        room: order[1],
        text: "unread for ana",
        clientId: "b1",
      }));
      await ana.locator(`a.room[data-room="${order[1]}"] .badge`).waitFor();
      await ana.keyboard.press("Alt+Shift+ArrowDown");
      await at(order[1]);
      await ana.locator(".msg", { hasText: "unread for ana" }).waitFor();
      // ? (outside the composer) lists the shortcuts; Escape closes.
      const help = ana.locator("dialog[open]", {
        hasText: "Keyboard shortcuts",
      });
      // The composer takes the focus back after a room switch or a closed
      // dialog, which can come after this blur: the "?" is then text in
      // it, cleared before trying again.
      const openHelp = async () => {
        for (let attempt = 1;; attempt++) {
          await ana.locator("#composer").blur();
          await ana.keyboard.press("?");
          const shown = await help.waitFor({ timeout: 3000 }).then(
            () => true,
            () => false,
          );
          if (shown) return;
          if (attempt === 3) await help.waitFor({ timeout: 1 });
          await ana.locator("#composer").fill("");
        }
      };
      await openHelp();
      for (const key of ["Ctrl+K", "Alt+↑", "Alt+Shift+↑", "?"]) {
        await expect(help.locator("kbd", { hasText: key }).count()).resolves
          .toBeGreaterThan(0);
      }
      await ana.keyboard.press("Escape");
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
      // Ctrl+K right after a dialog closes opens the switcher, even when it
      // comes before that dialog's close event has been delivered.
      await openHelp();
      const kept = await ana.evaluate(async () => {
        document.querySelector<HTMLDialogElement>("dialog[open]")!.close();
        document.body.dispatchEvent(
          new KeyboardEvent("keydown", {
            key: "k",
            ctrlKey: true,
            bubbles: true,
            cancelable: true,
          }),
        );
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        return document.querySelector("dialog[open] h2")?.textContent;
      });
      expect(kept).toBe("Switch room");
      await ana.keyboard.press("Escape");
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
      ben.close();
      // In the composer, ? is just a character.
      await ana.locator("#composer").focus();
      await ana.keyboard.type("why?");
      await expect(ana.locator("#composer").inputValue()).resolves.toBe(
        "why?",
      );
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
    });
  },
});

Deno.test({
  name:
    "rooms ui - a room that can't be created keeps its name typed, to be mended; one created clears the form",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const bo = await visitor(w, "bo");
      await ana.getByLabel("New room").fill("ops");
      await ana.getByRole("button", { name: "Create" }).click();
      await ana.locator("h1", { hasText: "# ops" }).waitFor();
      await expect(ana.getByLabel("New room").inputValue()).resolves.toBe("");
      // bo asks for the same id: refused, and "ops" is still in the box.
      const field = bo.getByLabel("New room");
      await field.fill("ops");
      await bo.getByRole("button", { name: "Create" }).click();
      await bo.getByText("Room exists already: ops").waitFor();
      await expect(field.inputValue()).resolves.toBe("ops");
      await field.press("End");
      await field.pressSequentially("-2");
      await bo.getByRole("button", { name: "Create" }).click();
      await bo.locator("h1", { hasText: "# ops-2" }).waitFor();
      await expect(field.inputValue()).resolves.toBe("");
    });
  },
});

Deno.test({
  name:
    "rooms - a room switched to with Ctrl+K from a message's button takes the focus into its message box; Escape gives it back to the button",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await createRoom(ana, "kbd");
      for (let n = 1; n <= 3; n++) await say(ana, `kbd ${n}`);
      await createRoom(ana, "other");
      for (let n = 1; n <= 5; n++) await say(ana, `other ${n}`);
      const composerFocused = () =>
        ana.waitForFunction(() => document.activeElement?.id === "composer");
      const fromButton = async (text: string) => {
        const reply = ana.locator(".msg", { hasText: text }).getByRole(
          "button",
          { name: "Reply", exact: false },
        ).first();
        await reply.focus();
        await ana.keyboard.press("Control+k");
        await ana.locator("dialog[open]", { hasText: "Switch room" })
          .waitFor();
        return reply;
      };
      // From a message's Reply in #other to #kbd, and back.
      await fromButton("other 5");
      await ana.keyboard.type("kbd");
      await ana.keyboard.press("Enter");
      await ana.locator("h1", { hasText: "# kbd" }).waitFor();
      await composerFocused();
      await fromButton("kbd 2");
      await ana.keyboard.type("oth");
      await ana.keyboard.press("Enter");
      await ana.locator("h1", { hasText: "# other" }).waitFor();
      await composerFocused();
      // Still there once every render is done.
      await ana.waitForTimeout(300);
      await expect(ana.evaluate(() => document.activeElement?.id)).resolves
        .toBe("composer");
      // Escape without switching: back on the button it was opened from.
      const reply = await fromButton("other 3");
      await ana.keyboard.press("Escape");
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
      await until(() => reply.evaluate((el) => el === document.activeElement));
    });
  },
});

Deno.test({
  name:
    "rooms - a #room link in a pinned message or a thread's reply opens that room in the page, as one in the room's messages does",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await olga.locator("a.room", { hasText: "random" }).click();
      await olga.locator("h1", { hasText: "# random" }).waitFor();
      await createRoom(olga, "ops");
      await say(olga, "details in #random, and @olga reads them");
      const msg = olga.locator(".msg", { hasText: "details in" });
      await msg.hover();
      await msg.getByRole("button", { name: /^Pin/ }).click();
      await msg.getByRole("button", { name: /^Unpin/ }).waitFor();
      await olga.locator(".pane-head .pins").click();
      const pin = olga.locator(".pinned-list .pin", { hasText: "details in" });
      await pin.waitFor();
      // The reader's own mention is marked, as in the room.
      await pin.locator(".mention.me").waitFor();
      await olga.evaluate(() =>
        (globalThis as { stayed?: boolean }).stayed = true
      );
      // Ctrl-click opens it in a new tab, this one staying where it is.
      const [tab] = await Promise.all([
        olga.context().waitForEvent("page"),
        pin.locator("a.room-link").click({ modifiers: ["Control"] }),
      ]);
      await tab.waitForURL(/\/rooms\/random$/);
      await tab.close();
      await expect(olga.locator("h1").textContent()).resolves.toBe("# ops");
      await pin.locator("a.room-link").click();
      await olga.locator("h1", { hasText: "# random" }).waitFor();
      // The same page: no reload.
      await expect(
        olga.evaluate(() => (globalThis as { stayed?: boolean }).stayed),
      ).resolves.toBe(true);
      // And one in a thread's reply, in the side panel.
      await olga.locator("a.room", { hasText: "ops" }).click();
      await olga.locator("h1", { hasText: "# ops" }).waitFor();
      const root = olga.locator(".log .msg", { hasText: "details in" });
      await root.hover();
      await root.getByRole("button", { name: "Reply", exact: false }).first()
        .click();
      const panel = olga.locator(".thread-panel");
      await panel.locator("textarea").fill("more in #random too");
      await panel.locator("textarea").press("Enter");
      await panel.locator(".msg", { hasText: "more in" }).locator(
        "a.room-link",
      ).click();
      await olga.locator("h1", { hasText: "# random" }).waitFor();
      await expect(
        olga.evaluate(() => (globalThis as { stayed?: boolean }).stayed),
      ).resolves.toBe(true);
    });
  },
});
