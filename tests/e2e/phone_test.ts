/**
 * The chat page on a phone in Chromium: drawers that close, a header that
 * fits, boxes that keep the focus (and so the keyboard) when their button
 * sends, a Rooms button that tells of unread rooms, and finger-sized
 * message controls.
 */
import { expect } from "expect";
import type { Page } from "playwright-core";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  errorsOf,
  focusedName as focused,
  member,
  PHONE,
  say,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "phone - drawers close with ×, Escape and a backdrop tap; focus returns to the toggle",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const members = page.locator("aside.members");
      const rooms = page.locator("nav.sidebar");
      const membersToggle = page.getByRole("button", {
        name: "Members",
        exact: true,
      });
      const roomsToggle = page.getByRole("button", {
        name: "Rooms",
        exact: true,
      });
      // ×
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await until(async () => (await focused(page)) === "Close members", {
        what: "the focus on Close members",
      });
      await page.getByRole("button", { name: "Close members" }).click();
      await members.waitFor({ state: "hidden" });
      await until(async () => (await focused(page)) === "Members", {
        what: "the focus on Members",
      });
      // Escape, once the open drawer has the focus (as a person sees it).
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await until(async () => (await focused(page)) === "Close members", {
        what: "the focus in the open drawer",
      });
      await page.keyboard.press("Escape");
      await members.waitFor({ state: "hidden" });
      await until(async () => (await focused(page)) === "Members", {
        what: "the focus on Members",
      });
      // A tap beside the drawer, then the composer is usable again.
      await roomsToggle.click();
      await rooms.waitFor({ state: "visible" });
      await until(async () => (await focused(page)) === "Close rooms", {
        what: "the focus on Close rooms",
      });
      await page.touchscreen.tap(PHONE.width - 20, PHONE.height / 2);
      await rooms.waitFor({ state: "hidden" });
      await until(async () => (await focused(page)) === "Rooms", {
        what: "the focus on Rooms",
      });
      await membersToggle.click();
      await members.waitFor({ state: "visible" });
      await page.touchscreen.tap(20, PHONE.height / 2);
      await members.waitFor({ state: "hidden" });
      await page.locator("#composer").fill("after the drawers");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator(".msg.own:not(.pending)", {
        hasText: "after the drawers",
      }).waitFor();
    });
  },
});

Deno.test({
  name:
    "phone - the header keeps the room name on one line and shows one's own name",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE });
      await say(page, "hi");
      for (const room of ["general", "a-rather-long-room-for-the-phone"]) {
        if (room !== "general") {
          await page.getByRole("button", { name: "Rooms", exact: true })
            .click();
          await page.getByLabel("New room").fill(room);
          await page.getByRole("button", { name: "Create" }).click();
          await page.locator("h1", { hasText: room }).waitFor();
        }
        const lines = await page.locator(".pane-head h1").evaluate((h) => {
          const lh = parseFloat(getComputedStyle(h).lineHeight);
          return h.getBoundingClientRect().height / lh;
        });
        expect(lines).toBeLessThan(1.5);
        await expect(page.locator(".pane-head .who").isVisible()).resolves
          .toBe(true);
        await expect(page.locator(".pane-head .who").textContent()).resolves
          .toBe("Chatting as pho");
        const head = await page.locator(".pane-head").evaluate((h) => ({
          scroll: h.scrollWidth,
          client: h.clientWidth,
        }));
        expect(head.scroll).toBeLessThanOrEqual(head.client);
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth),
        ).toBeLessThanOrEqual(PHONE.width);
      }
    });
  },
});

Deno.test({
  name:
    "phone - the room's name shows whole; search, pinned messages and log in are in the room menu",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      // On a touch screen Enter is a new line; Send sends.
      await page.locator("#composer").fill("a message to find from the phone");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator(".msg.own:not(.pending)", {
        hasText: "from the phone",
      }).waitFor();
      const title = page.locator(".pane-head h1");
      await expect(title.textContent()).resolves.toBe("# general");
      const clipped = await title.evaluate((h) =>
        h.scrollWidth > h.clientWidth
      );
      expect(clipped).toBe(false);
      // Not in the header on a phone.
      for (const name of ["Search", "Log in"]) {
        await expect(
          page.getByRole("banner").getByText(name, { exact: true })
            .isVisible(),
        ).resolves.toBe(false);
      }
      const menu = page.getByLabel("Room menu");
      await menu.click();
      await screenshot(page, "phone-menu");
      await page.getByRole("button", { name: "Search messages" }).click();
      const box = page.getByRole("searchbox", { name: "Search messages" });
      await box.fill("find");
      await box.press("Enter");
      await page.locator(".search-hit", { hasText: "from the phone" })
        .waitFor();
      await page.getByRole("button", { name: "Close", exact: true }).click();
      await page.locator("dialog[open]").waitFor({ state: "detached" });

      await menu.click();
      await page.getByRole("button", { name: "Pinned messages" }).click();
      await page.getByRole("region", { name: "Pinned messages" }).waitFor();

      await menu.click();
      const login = page.getByRole("link", { name: "Log in" });
      await expect(login.getAttribute("href")).resolves.toBe(
        "/login?next=%2Frooms%2Fgeneral",
      );
      await login.click();
      await page.waitForURL(/\/login\?next=/);
    });
  },
});

Deno.test({
  name:
    "phone - tapping Send or the thread's Reply keeps the focus, and so the keyboard, in the box",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const composer = page.locator("#composer");
      await composer.tap();
      await composer.fill("sent with a tap");
      await page.getByRole("button", { name: "Send" }).tap();
      const sent = page.locator(".log .msg.own:not(.pending)", {
        hasText: "sent with a tap",
      });
      await sent.waitFor();
      await expect(page.evaluate(() => document.activeElement?.id)).resolves
        .toBe("composer");

      await sent.getByRole("button", { name: /^Reply/ }).tap();
      const panel = page.getByRole("complementary", { name: "Thread" });
      const box = panel.getByLabel("Reply in thread");
      await box.tap();
      await box.fill("replied with a tap");
      await panel.getByRole("button", { name: "Reply", exact: true }).tap();
      await panel.locator(".msg:not(.pending)", {
        hasText: "replied with a tap",
      }).waitFor();
      await until(async () => (await focused(page)) === "Reply in thread", {
        what: "the focus on Reply in thread",
      });
      expect(errorsOf(page)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "phone - in the thread's reply box Enter breaks the line, as in the message box; Reply sends",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      (await seed(w, ["a thread on the phone"])).close();
      const page = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const root = page.locator(".log .msg", {
        hasText: "a thread on the phone",
      });
      await root.getByRole("button", { name: /^Reply/ }).tap();
      const panel = page.getByRole("complementary", { name: "Thread" });
      const box = panel.getByLabel("Reply in thread");
      await box.tap();
      await page.keyboard.type("line one");
      await page.keyboard.press("Enter");
      await page.keyboard.type("line two");
      await expect(box.inputValue()).resolves.toBe("line one\nline two");
      await expect(panel.locator(".thread-replies .msg").count()).resolves
        .toBe(0);
      await panel.getByRole("button", { name: "Reply", exact: true }).tap();
      await panel.locator(".thread-replies .msg:not(.pending)", {
        hasText: "line two",
      }).waitFor();
      await expect(box.inputValue()).resolves.toBe("");
    });
  },
});

Deno.test({
  name:
    "phone - the Rooms button counts the other rooms with unread messages, marked when one mentions the reader",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      const toggle = pho.locator('button[aria-controls="rooms"]');
      const badge = toggle.locator(".badge");
      await expect(toggle.getAttribute("aria-label")).resolves.toBe(null);
      await expect(badge.count()).resolves.toBe(0);

      const ws = await seed(w, ["news in random"], {
        room: "random",
        name: "ana",
      });
      await pho.getByRole("button", { name: "Rooms, 1 unread", exact: true })
        .waitFor();
      await expect(badge.textContent()).resolves.toBe("1");
      await expect(badge.getAttribute("class")).resolves.toBe("badge");
      await screenshot(pho, "phone-rooms-badge");

      ws.close();
      (await seed(w, ["@pho have a look"], { room: "random", name: "ana" }))
        .close();
      await pho.getByRole("button", {
        name: "Rooms, 1 unread, 1 with a mention or direct message",
        exact: true,
      }).waitFor();
      await expect(badge.textContent()).resolves.toBe("@1");
      await expect(badge.getAttribute("class")).resolves.toBe("badge mention");
      await screenshot(pho, "phone-rooms-badge-mention");
      // The badge fits the header's button, and the header its phone.
      const head = await pho.locator(".pane-head").evaluate((h) => ({
        scroll: h.scrollWidth,
        client: h.clientWidth,
      }));
      expect(head.scroll).toBeLessThanOrEqual(head.client);

      // Reading the room clears it.
      await toggle.tap();
      await pho.locator('a.room[data-room="random"]').tap();
      await pho.locator("h1", { hasText: "# random" }).waitFor();
      await pho.getByRole("button", { name: "Rooms", exact: true }).waitFor();
      await expect(badge.count()).resolves.toBe(0);
      expect(errorsOf(pho)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "phone - message controls are finger-sized on a touch screen, and stay small with a mouse",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      /** The sizes of the controls of one's own message `text`, its palette open. */
      const sizes = async (page: Page, text: string) => {
        const msg = page.locator(".log .msg.own", { hasText: text });
        const add = msg.getByRole("button", { name: /^Add a reaction/ });
        await add.click();
        await msg.getByRole("button", { name: "React with 👍" }).waitFor();
        const controls = {
          Reply: msg.getByRole("button", { name: /^Reply/ }),
          Edit: msg.getByRole("button", { name: /^Edit/ }),
          Delete: msg.getByRole("button", { name: /^Delete/ }),
          "☺+": add,
          "reaction choice": msg.getByRole("button", { name: "React with 👍" }),
          "room menu": page.getByLabel("Room menu"),
        };
        const out = [];
        for (const [name, control] of Object.entries(controls)) {
          const box = await control.boundingBox();
          out.push({ name, width: box!.width, height: box!.height });
        }
        return out;
      };
      const pho = await visitor(w, "pho", { viewport: PHONE, touch: true });
      await pho.locator("#composer").fill("tap targets");
      await pho.getByRole("button", { name: "Send" }).tap();
      // A tap on the messages loads their reactions' code.
      await pho.locator(".log .msg.own:not(.pending)", {
        hasText: "tap targets",
      }).locator(".body").tap();
      const phone = await sizes(pho, "tap targets");
      await screenshot(pho, "phone-tap-targets");
      expect(phone.filter((s) => s.height < 32 || s.width < 32)).toEqual([]);
      // Nothing spills out sideways.
      expect(
        await pho.evaluate(() => document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(PHONE.width);

      const ana = await visitor(w, "ana");
      await say(ana, "on a desktop");
      await ana.locator(".log .msg", { hasText: "on a desktop" }).hover();
      const desktop = await sizes(ana, "on a desktop");
      await screenshot(ana, "desktop-message-actions");
      // The room menu's button is as before; the rest as small as the text.
      expect(desktop.slice(0, 5).filter((s) => s.height >= 28)).toEqual([]);
      for (const p of [pho, ana]) expect(errorsOf(p)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "phone - Tab and Shift+Tab stay in an open drawer, as in a dialog, on a phone and at tablet width",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const cases = [
        { viewport: PHONE, toggle: "Rooms", drawer: "nav.sidebar" },
        {
          viewport: { width: 800, height: 700 },
          toggle: "Members",
          drawer: "aside.members",
        },
      ];
      for (const { viewport, toggle, drawer } of cases) {
        const page = await visitor(w, `tab${viewport.width}`, { viewport });
        await page.getByRole("button", { name: toggle, exact: true }).click();
        await page.locator(drawer).waitFor({ state: "visible" });
        for (const key of ["Tab", "Shift+Tab"]) {
          for (let i = 0; i < 25; i++) {
            await page.keyboard.press(key);
            const inside = await page.locator(drawer).evaluate((d) =>
              d.contains(document.activeElement)
            );
            expect({ key, i, inside }).toEqual({ key, i, inside: true });
          }
        }
        await page.keyboard.press("Escape");
        await page.locator(drawer).waitFor({ state: "hidden" });
        await page.close();
      }
    });
  },
});

Deno.test({
  name:
    "phone - a name as long as allowed stays in its members row (cut, whole in its tooltip) beside its dot and Message button",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const long = "W".repeat(24);
      await member(w, long);
      const page = await member(w, "pho", { viewport: PHONE, touch: true });
      await page.getByRole("button", { name: "Members", exact: true }).click();
      const row = page.locator(".members-list li", { hasText: long });
      await row.waitFor();
      const box = (await row.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      const [dot, name, button] = await Promise.all([
        row.locator(".dot").boundingBox(),
        row.locator(".name").boundingBox(),
        row.getByRole("button", { name: /^Message/ }).boundingBox(),
      ]);
      // One line: the dot, the name and the button side by side.
      for (const b of [dot!, button!]) {
        expect(Math.abs(b.y + b.height / 2 - (name!.y + name!.height / 2)))
          .toBeLessThan(6);
      }
      expect(button!.x + button!.width).toBeLessThanOrEqual(PHONE.width);
      await expect(row.locator(".name").getAttribute("title")).resolves.toBe(
        long,
      );
      expect(errorsOf(page)).toEqual([]);
    });
  },
});
