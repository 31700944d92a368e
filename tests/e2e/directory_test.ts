/**
 * The room directory in Chromium: browsing public rooms, previewing one,
 * joining it (it joins the sidebar, a stored event says so) and leaving it.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  history,
  joinRoom,
  say,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "directory - browse, preview a public room, join it, leave it; the sidebar lists only own rooms",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      // Ben makes a room and writes in it.
      const ws = await seed(w, [], { name: "ben" });
      ws.send(JSON.stringify({ type: "create", room: "design" }));
      await new Promise<void>((resolve) =>
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === "room" && f.room.id === "design") resolve();
        }
      );
      ws.close();
      (await seed(w, ["welcome to design"], { room: "design", name: "ben" }))
        .close();
      const ana = await visitor(w, "ana");
      await expect(ana.locator('a.room[data-room="design"]').count()).resolves
        .toBe(0);
      await ana.getByRole("button", { name: "Browse rooms" }).click();
      const dialog = ana.locator("dialog[open]", { hasText: "Browse rooms" });
      await dialog.locator("a.room", { hasText: "design" }).click();
      // A preview: the messages, no composer, a Join button.
      await ana.locator("h1", { hasText: "# design" }).waitFor();
      expect(new URL(ana.url()).pathname).toBe("/rooms/design");
      await ana.locator(".msg", { hasText: "welcome to design" }).waitFor();
      await expect(ana.locator("#composer").count()).resolves.toBe(0);
      await joinRoom(ana, "design");
      await say(ana, "glad to be here");
      // Joining is a stored event in the room's history.
      await ana.locator(".notice.event", { hasText: "ana" }).waitFor();
      await ana.reload();
      await connected(ana);
      await ana.locator('a.room[data-room="design"]').waitFor();
      // Leaving: out of the sidebar, on to another room, still in the directory.
      await ana.locator(".room-menu summary").click();
      await ana.getByRole("button", { name: "Leave room" }).click();
      await ana.locator('a.room[data-room="design"]').waitFor({
        state: "detached",
      });
      await expect(ana.locator("h1").textContent()).resolves.not.toContain(
        "design",
      );
      await ana.reload();
      await connected(ana);
      await expect(ana.locator('a.room[data-room="design"]').count()).resolves
        .toBe(0);
      await ana.getByRole("button", { name: "Browse rooms" }).click();
      await ana.locator("dialog[open] a.room", { hasText: "design" }).waitFor();
      const events = (await history(w, "design", { events: true })).filter((
        m,
      ) => m.user === "");
      expect(events.map((m) => m.text).join(" | ")).toMatch(/ana.*joined/);
    });
  },
});

Deno.test({
  name:
    "directory - by keyboard alone: Browse rooms, pick one, Join, then write",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(w, [], { name: "ben" });
      ws.send(JSON.stringify({ type: "create", room: "design" }));
      await new Promise<void>((resolve) =>
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === "room" && f.room.id === "design") resolve();
        }
      );
      ws.close();
      const ana = await visitor(w, "ana");
      const focused = () =>
        ana.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
      await ana.getByRole("button", { name: "Browse rooms" }).focus();
      await ana.keyboard.press("Enter");
      const link = ana.locator("dialog[open] a.room", { hasText: "design" });
      await link.waitFor();
      for (let i = 0; i < 10 && !(await focused()).includes("design"); i++) {
        await ana.keyboard.press("Tab");
      }
      await ana.keyboard.press("Enter");
      await ana.locator("h1", { hasText: "# design" }).waitFor();
      // Focus lands on Join once the preview's history is in.
      await ana.waitForFunction(() =>
        document.activeElement?.textContent?.trim() === "Join #design"
      );
      await ana.keyboard.press("Enter");
      await ana.waitForFunction(() =>
        document.activeElement?.id === "composer"
      );
      await ana.keyboard.type("typed, never clicked");
      await ana.keyboard.press("Enter");
      await ana.locator(".msg.own:not(.pending)", {
        hasText: "typed, never clicked",
      }).waitFor();
    });
  },
});
