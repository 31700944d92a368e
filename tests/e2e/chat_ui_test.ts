/**
 * The chat page in headless Chromium against a real server process.
 */
import { expect } from "expect";
import { BROWSER_TEST, screenshot } from "@/tests/helpers/browser.ts";
import { spawnServer } from "@/tests/helpers/process.ts";
import {
  connected,
  errorsOf,
  history,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name: "ui - two users chat, see each other, presence and typing",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const minA = await visitor(w, "민아");
      await ana.locator(".members-list", { hasText: "민아" }).waitFor();
      // Typing shows on the other page, then the message arrives.
      await ana.locator("#composer").pressSequentially("안녕", { delay: 20 });
      await minA.locator(".typing-line", {
        // The name is bidi-isolated and marked as a guest's.
        hasText: "ana\u2069 (guest) is typing",
      })
        .waitFor();
      await ana.locator("#composer").press("Enter");
      await minA.locator(".msg", { hasText: "안녕" }).waitFor();
      await expect(ana.locator(".msg.own", { hasText: "안녕" }).count())
        .resolves.toBe(1);
      await say(minA, "반가워요 **ana** see https://example.com/x");
      const reply = ana.locator(".msg", { hasText: "반가워요" });
      await reply.waitFor();
      await expect(reply.locator("strong").textContent()).resolves.toBe("ana");
      const link = reply.locator("a");
      await expect(link.getAttribute("href")).resolves.toBe(
        "https://example.com/x",
      );
      await expect(link.getAttribute("rel")).resolves.toBe(
        "noopener noreferrer",
      );
      await minA.locator(".typing-line:empty").waitFor({ state: "attached" });
      expect((await history(w)).map((m) => m.text)).toEqual([
        "안녕",
        "반가워요 **ana** see https://example.com/x",
      ]);
      expect(errorsOf(ana)).toEqual([]);
      expect(errorsOf(minA)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "ui - switching rooms shows unread and mention counts, then clears them",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      await ana.locator('a.room[data-room="random"]').click();
      await ana.locator("h1", { hasText: "# random" }).waitFor();
      expect(new URL(ana.url()).pathname).toBe("/rooms/random");
      await say(ana, "over here");
      await say(ana, "ping @ben");
      const badge = ben.locator('a.room[data-room="random"] .badge');
      // The count climbs as the two messages arrive.
      // (Membership events count as unread too, so only the mention is exact.)
      await ben.locator(
        'a.room[data-room="random"] .badge[aria-label$=" unread, 1 mention"]',
      ).waitFor();
      await expect(badge.textContent()).resolves.toBe("@1");
      await ben.locator('a.room[data-room="random"]').click();
      await ben.locator(".msg", { hasText: "ping @ben" }).waitFor();
      await expect(ben.locator(".msg .mention.me").count()).resolves.toBe(1);
      await expect(badge.count()).resolves.toBe(0);
      // Back and forward work through the history API.
      await ben.goBack();
      await ben.locator("h1", { hasText: "# general" }).waitFor();
    });
  },
});

Deno.test({
  name: "ui - sending with the keyboard alone",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      // Joining puts focus in the composer; a returning visitor starts at the top.
      await ana.reload();
      await connected(ana);
      await ana.keyboard.press("Tab"); // the skip link
      await expect(ana.evaluate(() => document.activeElement?.textContent))
        .resolves.toBe("Skip to the main content");
      await ana.keyboard.press("Enter");
      // From the main region, Tab walks to the composer.
      for (let i = 0; i < 12; i++) {
        if (
          await ana.evaluate(() => document.activeElement?.id) === "composer"
        ) break;
        await ana.keyboard.press("Tab");
      }
      await expect(ana.evaluate(() => document.activeElement?.id)).resolves
        .toBe("composer");
      await ana.keyboard.type("line one");
      await ana.keyboard.press("Shift+Enter");
      await ana.keyboard.type("line two");
      await ana.keyboard.press("Enter");
      const msg = ana.locator(".msg:not(.pending)", { hasText: "line one" });
      await msg.waitFor();
      await expect(msg.locator("br").count()).resolves.toBe(1);
      expect((await history(w)).map((m) => m.text)).toEqual([
        "line one\nline two",
      ]);
    });
  },
});

Deno.test({
  name:
    "ui - reconnects after a restart; messages written offline arrive once, also across a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "before");
      await ana.locator(".msg:not(.pending)", { hasText: "before" }).waitFor();
      await w.server.stop();
      const banner = ana.locator(".banner");
      await banner.filter({ hasText: "Reconnecting" }).waitFor();
      // An edit can't go while down: said so, until the connection is back.
      const before = ana.locator(".log .msg", { hasText: "before" });
      await before.hover();
      await before.getByRole("button", { name: /^Edit/ }).click();
      await ana.locator("#composer").fill("before, edited");
      await ana.locator("#composer").press("Enter");
      const problem = ana.locator(".problem", {
        hasText: "Not connected: the edit is not saved yet",
      });
      await problem.waitFor();
      await ana.locator("#composer").press("Escape");
      await say(ana, "while down", true);
      await ana.locator(".msg.pending", { hasText: "while down" }).waitFor();
      await expect(
        ana.locator(".msg.pending .status", { hasText: "Sending…" }).count(),
      ).resolves.toBe(1);
      await banner.filter({ hasText: "1 message waiting to send" }).waitFor();
      w.server = await spawnServer(w.port, w.env);
      await ana.locator(".banner.hidden").waitFor({
        state: "attached",
        timeout: 20_000,
      });
      await problem.waitFor({ state: "detached" });
      await ana.locator(".msg:not(.pending)", { hasText: "while down" })
        .waitFor();
      await ana.locator(".msg:not(.pending)", { hasText: "while down" })
        .locator(".sent").waitFor();
      // Down again: write, reload (which fails), come back, open the page again.
      await w.server.stop();
      await banner.filter({ hasText: "Reconnecting" }).waitFor();
      await say(ana, "across a reload", true);
      await ana.locator(".msg.pending", { hasText: "across a reload" })
        .waitFor();
      await ana.reload().catch(() => {}); // The server is down: an error page.
      w.server = await spawnServer(w.port, w.env);
      // Chromium's error page reloads by itself once the server answers,
      // which may cut across this navigation to the same page: then that
      // load is the one waited for.
      await ana.goto(`${w.server.url}/rooms/general`).catch(async (error) => {
        if (!String(error).includes("interrupted by another navigation")) {
          throw error;
        }
        await ana.waitForLoadState("load");
      });
      await ana.locator(".msg:not(.pending)", { hasText: "across a reload" })
        .waitFor({ timeout: 20_000 });
      await screenshot(ana, "reconnected");
      const texts = (await history(w)).map((m) => m.text);
      expect(texts).toEqual(["before", "while down", "across a reload"]);
      await expect(ana.locator(".msg", { hasText: "across a reload" }).count())
        .resolves.toBe(1);
      await expect(ana.locator(".msg", { hasText: "while down" }).count())
        .resolves.toBe(1);
    });
  },
});

Deno.test({
  name: "ui - phone layout, dark theme, screenshots",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const minA = await visitor(w, "민아", { colorScheme: "dark" });
      await say(
        ana,
        "Hello from the desktop — `code`, **bold**, _italic_ and a link https://deno.com",
      );
      await say(minA, "안녕하세요! 한국어도 잘 보여요 @ana");
      await ana.locator(".msg", { hasText: "안녕하세요" }).waitFor();
      await minA.locator(".msg", { hasText: "안녕하세요" }).waitFor();
      await screenshot(ana, "desktop-light");
      await screenshot(minA, "desktop-dark");
      const phone = await visitor(w, "phone", {
        viewport: { width: 390, height: 844 },
      });
      await phone.locator(".msg", { hasText: "안녕하세요" }).waitFor();
      await expect(phone.locator("nav.sidebar").isVisible()).resolves.toBe(
        false,
      );
      await expect(phone.locator("aside.members").isVisible()).resolves.toBe(
        false,
      );
      const width = await phone.evaluate(() =>
        document.documentElement.scrollWidth
      );
      expect(width).toBeLessThanOrEqual(390);
      await screenshot(phone, "phone");
      await phone.getByRole("button", { name: "Rooms" }).click();
      await expect(phone.locator("nav.sidebar").isVisible()).resolves.toBe(
        true,
      );
      await screenshot(phone, "phone-rooms");
      await phone.locator('a.room[data-room="random"]').click();
      await phone.locator("h1", { hasText: "# random" }).waitFor();
      await expect(phone.locator("nav.sidebar").isVisible()).resolves.toBe(
        false,
      );
    });
  },
});

Deno.test({
  name:
    "ui - script in messages stays inert, live and server-rendered, under a strict CSP",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const payloads = [
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "javascript:alert(1)",
        "</script><script>alert(1)</script>",
      ];
      for (const p of payloads) await say(ana, p);
      await ana.locator(".msg", { hasText: "</script>" }).waitFor();
      await ana.reload();
      await ana.locator(".msg", { hasText: "</script>" }).waitFor();
      const log = ana.locator(".log");
      await expect(log.locator("img").count()).resolves.toBe(0);
      await expect(log.locator("script").count()).resolves.toBe(0);
      await expect(log.locator('a[href^="javascript"]').count()).resolves.toBe(
        0,
      );
      for (const p of payloads) {
        const exact = new RegExp(
          `^${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
        );
        await expect(ana.locator(".msg .body", { hasText: exact }).count())
          .resolves.toBe(1);
      }
      const res = await fetch(`${w.server.url}/rooms/general`);
      const csp = res.headers.get("content-security-policy") ?? "";
      const nonce = /script-src 'self' 'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      const html = await res.text();
      expect(html).not.toContain("<img src=x");
      // The JSON state, and Fresh's inline boot module carrying the
      // response's nonce: no other script, and none a message could add.
      const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
      expect(
        scripts.every((a) =>
          /type="application\/json"/.test(a) ||
          a === ` type="module" nonce="${nonce}"`
        ),
      ).toBe(true);
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "ui - an account registers with the plain form and chats under its own name",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const context = await w.browser.newContext({ javaScriptEnabled: false });
      w.contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${w.server.url}/register?next=/rooms/general`);
      await page.getByLabel(/^Username/).fill("alice");
      await page.getByLabel(/^Password \(/).fill("correct horse battery");
      await page.getByLabel("Password again").fill("correct horse battery");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL(/\/rooms\/general$/);
      // With JavaScript on, the same session chats as alice, no name asked.
      const cookies = await context.cookies();
      const live = await w.browser.newContext();
      w.contexts.push(live);
      await live.addCookies(cookies);
      const chat = await live.newPage();
      await chat.goto(`${w.server.url}/rooms/general`);
      await chat.locator(".members-list li", { hasText: "alice" }).waitFor({
        state: "attached",
      });
      await expect(chat.locator("dialog[open]").count()).resolves.toBe(0);
      await expect(
        chat.locator(".members-list li", { hasText: "alice" }).locator(".tag", {
          hasText: "guest",
        }).count(),
      )
        .resolves.toBe(0);
      await say(chat, "signed in");
      await chat.locator(".msg", { hasText: "signed in" }).waitFor();
      expect((await history(w)).map((m) => [m.user, m.text])).toEqual([[
        "alice",
        "signed in",
      ]]);
      // A second tab of the same session, which logging out ends too.
      const other = await live.newPage();
      await other.goto(`${w.server.url}/rooms/general`);
      await other.getByRole("button", { name: "Log out", exact: true })
        .waitFor();
      await chat.getByRole("button", { name: "Log out", exact: true }).click();
      await chat.waitForURL(/\/$|\/rooms\/general$|\/login/);
      // The other tab reloads, signed in no more.
      await other.getByRole("link", { name: "Log in" }).first().waitFor();
      await expect(
        other.getByRole("button", { name: "Log out", exact: true }).count(),
      ).resolves.toBe(0);
      const after = await fetch(`${w.server.url}/rooms/general`, {
        headers: {
          cookie: cookies.map((c) => `${c.name}=${c.value}`).join("; "),
        },
      });
      expect(await after.text()).not.toContain("Log out");
    });
  },
});

Deno.test({
  name:
    "ui - editing and deleting one's own message, seen live by the other page",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      const ben = await visitor(w, "ben");
      await say(ana, "teh typo");
      const mine = ana.locator(".msg.own", { hasText: "teh typo" });
      await mine.waitFor();
      await mine.hover();
      await mine.getByRole("button", { name: /^Edit/ }).click();
      await expect(ana.locator("#composer").inputValue()).resolves.toBe(
        "teh typo",
      );
      await ana.locator("#composer").fill("the typo, fixed");
      await ana.locator("#composer").press("Enter");
      const theirs = ben.locator(".msg", { hasText: "the typo, fixed" });
      await theirs.locator(".edited").waitFor();
      // Others get no edit buttons on it.
      await expect(theirs.getByRole("button", { name: /^Edit/ }).count())
        .resolves.toBe(0);
      const fixed = ana.locator(".msg.own", { hasText: "the typo, fixed" });
      await fixed.hover();
      await fixed.getByRole("button", { name: /^Delete/ }).click();
      await fixed.getByRole("button", { name: /^Really delete/ }).click();
      await ben.locator(".msg.deleted", { hasText: "Message deleted" })
        .waitFor();
      const [m] = await history(w);
      expect(m).toMatchObject({ text: "", deleted: true });
    });
  },
});

Deno.test({
  name:
    "ui - older messages load on scrolling up; a pill offers new ones; the title counts while hidden",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // 120 messages of history: the page shows the latest 50.
      const res = await fetch(`${w.server.url}/api/rooms`);
      await res.body?.cancel();
      const seed = new WebSocket(
        `${w.server.url.replace("http", "ws")}/ws?name=seed`,
      );
      await new Promise((r) => seed.onmessage = r);
      seed.send(JSON.stringify({ type: "join", room: "general" }));
      let acks = 0;
      const done = new Promise<void>((resolve) => {
        seed.onmessage = (e) => {
          if (JSON.parse(e.data).type === "ack" && ++acks === 120) resolve();
        };
      });
      for (let i = 1; i <= 120; i++) {
        seed.send(
          JSON.stringify({
            type: "send",
            room: "general",
            text: `history ${i}`,
            clientId: `h${i}`,
          }),
        );
      }
      await done;
      const ana = await visitor(w, "ana");
      // Lines with ids: messages, and stored joins among them (ana's own
      // may arrive after the page).
      const lines = ana.locator(".messages > li[data-id]");
      await expect(lines.count()).resolves.toBeGreaterThanOrEqual(50);
      // The log is bottom-up: its top is at minus the scrollable height.
      await ana.locator(".log").evaluate((el) =>
        el.scrollTop = el.clientHeight - el.scrollHeight
      );
      await ana.waitForFunction(() =>
        document.querySelectorAll(".messages > li[data-id]").length >= 100
      );
      // Older pages, in order, nothing missing or doubled between.
      const ids = await lines.evaluateAll((els) =>
        els.map((e) => Number(e.getAttribute("data-id")))
      );
      expect(ids.at(-1)! - ids[0]).toBe(ids.length - 1);
      // Scrolled up, a new message shows the pill instead of moving the view.
      seed.send(
        JSON.stringify({
          type: "send",
          room: "general",
          text: "fresh news",
          clientId: "n1",
        }),
      );
      const pill = ana.getByRole("button", { name: "1 new message ↓" });
      await pill.waitFor();
      await pill.click();
      await ana.waitForFunction(() =>
        document.querySelector(".log")!.scrollTop > -40
      );
      // While the tab is hidden, the title counts what arrives.
      await ana.evaluate(() => {
        Object.defineProperty(document, "hidden", {
          configurable: true,
          get: () => true,
        });
        document.dispatchEvent(new Event("visibilitychange"));
      });
      seed.send(
        JSON.stringify({
          type: "send",
          room: "general",
          text: "while hidden 1",
          clientId: "x1",
        }),
      );
      seed.send(
        JSON.stringify({
          type: "send",
          room: "general",
          text: "while hidden 2",
          clientId: "x2",
        }),
      );
      await ana.waitForFunction(() =>
        document.title.startsWith("(2) #general")
      );
      await ana.evaluate(() => {
        Object.defineProperty(document, "hidden", {
          configurable: true,
          get: () => false,
        });
        document.dispatchEvent(new Event("visibilitychange"));
      });
      await ana.waitForFunction(() => document.title === "#general — Chat");
      seed.close();
    }, { RATE_PER_SECOND: "1000", RATE_BURST: "1000" });
  },
});
