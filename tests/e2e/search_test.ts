/**
 * Search in Chromium: Korean and English queries, the matches marked, and a
 * result far back in history opened in its room with the messages around it.
 */
import { expect } from "expect";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  history,
  seed,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

Deno.test({
  name:
    "search - Korean and English hits are marked; a hit 120 messages back opens in its room, in context",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(w, [
        "서울역에서 만나요 at noon",
        ...Array.from({ length: 120 }, (_, i) => `filler ${i}`),
      ]);
      ws.close();
      const ana = await visitor(w, "ana");
      await ana.getByRole("button", { name: "Search", exact: true }).click({
        timeout: 20_000,
      });
      const box = ana.getByRole("searchbox", { name: "Search messages" });
      await box.fill("서울", { timeout: 20_000 });
      await box.press("Enter");
      const hit = ana.locator(".search-hit", { hasText: "만나요" });
      await hit.waitFor({ timeout: 20_000 });
      await expect(hit.locator("mark").allTextContents()).resolves.toEqual([
        "서울",
      ]);
      await box.fill("NOON");
      await box.press("Enter");
      await ana.locator(".search-hit mark", { hasText: "noon" }).waitFor({
        timeout: 20_000,
      });
      await expect(ana.locator(".search-hit").count()).resolves.toBe(1);

      await ana.locator(".search-hit").click();
      const target = ana.locator(".msg.jumped", {
        hasText: "서울역에서 만나요",
      });
      await target.waitFor({ timeout: 20_000 });
      await expect(target.isVisible()).resolves.toBe(true);
      // The history around it is there: the messages just after it.
      await expect(
        ana.locator(".msg .body", { hasText: /^.*filler 0$/ }).count(),
      ).resolves.toBeGreaterThan(0);
      await expect(ana.locator("dialog[open]").count()).resolves.toBe(0);
    }, { RATE_PER_SECOND: "1000", RATE_BURST: "1000" });
  },
});

Deno.test({
  name:
    "search - a hit in another room is scrolled to there, also when that room and the hit were loaded before",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(w, [
        "the needle in the haystack",
        ...Array.from({ length: 120 }, (_, i) => `hay ${i}`),
      ], { room: "random" });
      ws.close();
      const ana = await visitor(w, "ana");
      const onScreen = () =>
        ana.waitForFunction(
          () => {
            const log = document.querySelector(".log")!.getBoundingClientRect();
            const hit = [...document.querySelectorAll(".msg")].find((m) =>
              m.textContent?.includes("the needle")
            )?.getBoundingClientRect();
            return hit !== undefined && hit.top >= log.top &&
              hit.bottom <= log.bottom;
          },
          null,
          { timeout: 10_000 },
        );
      // The first time loads random's pages back to the hit; the second
      // finds them loaded.
      for (let time = 0; time < 2; time++) {
        await ana.getByRole("button", { name: "Search", exact: true }).click({
          timeout: 20_000,
        });
        const box = ana.getByRole("searchbox", { name: "Search messages" });
        await box.fill("needle", { timeout: 20_000 });
        await box.press("Enter");
        await ana.locator(".search-hit", { hasText: "needle" }).click({
          timeout: 20_000,
        });
        await ana.locator("h1", { hasText: "# random" }).waitFor();
        await onScreen();
        await ana.locator('a.room[data-room="general"]').click();
        await ana.locator("h1", { hasText: "# general" }).waitFor();
      }
    }, { RATE_PER_SECOND: "1000", RATE_BURST: "1000" });
  },
});

Deno.test({
  name:
    "search - More results pages the search that ran, not what the box holds now; a reply kept in its thread opens that thread at it",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ws = await seed(w, [
        "what fruit for the party?",
        ...Array.from({ length: 25 }, (_, i) => `bulk ${i}`),
        "kiwi alone",
      ]);
      // A reply to the first message, shown only in its thread.
      const root = (await history(w)).find((m) => m.text.startsWith("what"))!;
      const answered = new Promise<string>((resolve) =>
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === "ack" || f.type === "error") resolve(f.type);
        }
      );
      ws.send(JSON.stringify({
        type: "send",
        room: "general",
        text: "mango, surely",
        parent: root.id,
        clientId: "reply-1",
      }));
      expect(await answered).toBe("ack");
      ws.close();
      const ana = await visitor(w, "ana");
      const openSearch = () =>
        ana.getByRole("button", { name: "Search", exact: true }).click({
          timeout: 20_000,
        });
      await openSearch();
      const box = ana.getByRole("searchbox", { name: "Search messages" });
      await box.fill("bulk", { timeout: 20_000 });
      await box.press("Enter");
      await ana.getByText("20+ messages found").waitFor({ timeout: 20_000 });
      // The box changes, but nobody searched for it yet.
      await box.fill("kiwi");
      await ana.getByRole("button", { name: "More results" }).click();
      await ana.getByText("25 messages found").waitFor({ timeout: 20_000 });
      const hits = await ana.locator(".search-hit").allInnerTexts();
      expect(hits.filter((t) => t.includes("bulk"))).toHaveLength(25);
      expect(hits.filter((t) => t.includes("kiwi"))).toEqual([]);

      await box.fill("mango");
      await box.press("Enter");
      await ana.locator(".search-hit", { hasText: "mango" }).click({
        timeout: 20_000,
      });
      const panel = ana.getByRole("complementary", { name: "Thread" });
      await panel.locator(".msg", { hasText: "what fruit for the party?" })
        .waitFor({ timeout: 20_000 });
      await panel.locator(".msg.jumped", { hasText: "mango, surely" })
        .waitFor();
    }, { RATE_PER_SECOND: "1000", RATE_BURST: "1000" });
  },
});
