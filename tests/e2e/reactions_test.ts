/**
 * Reactions, pins and topics in Chromium: two people react to a message
 * and see each other's reactions live, who reacted shows on hover, one's
 * own reactions are marked and stay so after a reload; the room's owner
 * pins a message (listed for everyone) and sets the topic (in the header
 * and the directory), while a guest gets no such buttons; the open pinned
 * lists follow an edit of a pinned message and drop a deleted one.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  connected,
  createRoom,
  joinRoom,
  member,
  PHONE,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "reactions ui - reacting live with who reacted, pinning and the topic, kept after a reload",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const olga = await member(w, "olga");
      await createRoom(olga, "ops");
      const ben = await visitor(w, "ben", { room: "ops" });
      await joinRoom(ben, "ops");
      await say(ben, "ship it");

      // Olga reacts from the palette; Ben sees it and adds his own.
      const onOlga = olga.locator(".msg", { hasText: "ship it" });
      await onOlga.hover();
      await onOlga.getByRole("button", { name: /^Add a reaction/ }).click();
      await onOlga.getByRole("button", { name: "React with 👍" }).click();
      const olgaThumb = onOlga.locator(".reaction", { hasText: "👍" });
      await olgaThumb.locator(".count", { hasText: "1" }).waitFor();
      expect(await olgaThumb.getAttribute("aria-pressed")).toBe("true");
      const onBen = ben.locator(".msg", { hasText: "ship it" });
      const benThumb = onBen.locator(".reaction", { hasText: "👍" });
      await benThumb.locator(".count", { hasText: "1" }).waitFor();
      expect(await benThumb.getAttribute("aria-pressed")).toBe("false");
      await benThumb.click();
      await olgaThumb.locator(".count", { hasText: "2" }).waitFor();
      await benThumb.locator(".count", { hasText: "2" }).waitFor();
      await ben.waitForFunction(() =>
        document.querySelector(".reaction")?.getAttribute("aria-pressed") ===
          "true"
      );
      // Who reacted, on hover.
      await olgaThumb.hover();
      await onOlga.getByRole("tooltip").filter({ hasText: "👍 by olga, ben" })
        .waitFor();
      // On a phone a tap only reacts: no tooltip is left behind, and one
      // shown by a long press goes with the next tap.
      const cy = await visitor(w, "cy", {
        room: "ops",
        viewport: PHONE,
        touch: true,
      });
      await cy.getByRole("button", { name: "Join #ops" }).tap();
      await cy.locator("#composer").waitFor();
      const onCy = cy.locator(".msg", { hasText: "ship it" });
      const cyThumb = onCy.locator(".reaction", { hasText: "👍" });
      await cyThumb.tap();
      await cyThumb.locator(".count", { hasText: "3" }).waitFor();
      await cy.waitForTimeout(300);
      await expect(onCy.getByRole("tooltip").count()).resolves.toBe(0);
      await cyThumb.dispatchEvent("contextmenu");
      await onCy.getByRole("tooltip").filter({ hasText: "olga, ben, cy" })
        .waitFor();
      await cyThumb.tap();
      await cyThumb.locator(".count", { hasText: "2" }).waitFor();
      await expect(onCy.getByRole("tooltip").count()).resolves.toBe(0);
      await olgaThumb.locator(".count", { hasText: "2" }).waitFor();

      // Ben takes his off; Olga's stays hers after a reload.
      await benThumb.click();
      await olgaThumb.locator(".count", { hasText: "1" }).waitFor();
      await olga.reload();
      await connected(olga);
      const again = olga.locator(".msg", { hasText: "ship it" }).locator(
        ".reaction",
        { hasText: "👍" },
      );
      await again.locator(".count", { hasText: "1" }).waitFor();
      await olga.waitForFunction(() =>
        document.querySelector(".reaction")?.getAttribute("aria-pressed") ===
          "true"
      );

      // The owner pins; everyone's pinned list shows it.
      const msg = olga.locator(".msg", { hasText: "ship it" });
      await msg.hover();
      await msg.getByRole("button", { name: /^Pin/ }).click();
      await msg.getByRole("button", { name: /^Unpin/ }).waitFor();
      await ben.locator(".pane-head .pins", { hasText: "📌 1" }).click();
      const list = ben.getByRole("region", { name: "Pinned messages" })
        .or(ben.locator(".pinned-list"));
      await list.locator(".pin", { hasText: "ship it" }).locator(".by", {
        hasText: "pinned by olga",
      }).waitFor();
      // A guest moderates nothing: no Pin buttons, no topic.
      await onBen.hover();
      expect(await onBen.getByRole("button", { name: /^(Pin|Unpin)/ }).count())
        .toBe(0);
      expect(await ben.getByLabel("Room topic").count()).toBe(0);

      // The owner sets the topic (in the pinned panel): in both headers
      // and the directory.
      await olga.getByRole("button", { name: "Pinned messages" }).click();
      await olga.getByLabel("Room topic").fill("Release week: freeze Friday");
      await olga.getByRole("button", { name: "Save topic" }).click();
      await ben.locator(".pane-head .topic", {
        hasText: "Release week: freeze Friday",
      }).waitFor();
      await olga.locator(".pane-head .topic", {
        hasText: "Release week: freeze Friday",
      }).waitFor();
      const dir = await (await fetch(
        `http://127.0.0.1:${w.port}/api/directory`,
      )).json();
      expect(dir.rooms.find((r: { id: string }) => r.id === "ops")?.topic)
        .toBe("Release week: freeze Friday");
      // Ben edits his pinned message: both open lists show the new text.
      const mine = ben.locator(".msg.own", { hasText: "ship it" });
      await mine.hover();
      await mine.getByRole("button", { name: /^Edit/ }).click();
      await ben.locator("#composer").fill("ship it Friday");
      await ben.locator("#composer").press("Enter");
      for (const page of [ben, olga]) {
        await page.locator(".pinned-list .pin .text", {
          hasText: "ship it Friday",
        }).waitFor();
      }
      // Unpinned from the list, by the owner.
      await olga.locator(".pinned-list .pin", { hasText: "ship it" })
        .getByRole("button", { name: /^Unpin/ }).click();
      await list.filter({ hasText: "No pinned messages yet" }).waitFor();
      // A pinned message deleted leaves the open lists at once.
      await say(ben, "scratch that");
      const scratch = olga.locator(".msg", { hasText: "scratch that" });
      await scratch.hover();
      await scratch.getByRole("button", { name: /^Pin/ }).click();
      await list.locator(".pin", { hasText: "scratch that" }).waitFor();
      const gone = ben.locator(".msg.own", { hasText: "scratch that" });
      await gone.hover();
      await gone.getByRole("button", { name: /^Delete/ }).click();
      await gone.getByRole("button", { name: /^Really delete/ }).click();
      for (const page of [ben, olga]) {
        await page.locator(".pinned-list", {
          hasText: "No pinned messages yet",
        }).waitFor();
      }
    });
  },
});
