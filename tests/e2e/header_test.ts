/**
 * The room's header in Chromium: on a desktop, a signed-in member's header
 * keeps the room's whole name beside a topic; who one is and the topic give
 * way first.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  createRoom,
  errorsOf,
  member,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "header - at 1280 px, signed in, with a topic, the room's name is not cut",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const mod = await member(w, "moderator7", {
        viewport: { width: 1280, height: 800 },
      });
      await createRoom(mod, "planning42");
      await mod.locator(".pane-head .pins").click();
      await mod.getByLabel("Room topic").fill(
        "Weekly planning: agenda, owners and the release checklist",
      );
      await mod.getByRole("button", { name: "Save topic" }).click();
      await mod.keyboard.press("Escape");
      const topic = mod.locator(".pane-head .topic");
      await topic.waitFor();
      const h1 = mod.locator(".pane-head h1");
      await expect(h1.textContent()).resolves.toBe("# planning42");
      const [scroll, client] = await h1.evaluate((e) => [
        e.scrollWidth,
        e.clientWidth,
      ]);
      expect(scroll).toBeLessThanOrEqual(client);
      // The topic gives way instead, still shown in part.
      await expect(topic.evaluate((e) => e.clientWidth)).resolves
        .toBeGreaterThan(0);
      expect(errorsOf(mod)).toEqual([]);
    });
  },
});
