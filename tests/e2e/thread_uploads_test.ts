/**
 * Files in a thread, in Chromium: the thread panel's Attach, a file dropped
 * on the panel and an image pasted into its reply box are replies in that
 * thread (the other person sees them in their open panel and the count),
 * not messages of the room's timeline; with "Also send to" checked the file
 * shows in the room too; a file dropped on the room still goes to the room.
 */
import { expect } from "expect";
import { Buffer } from "node:buffer";
import type { Locator } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import { errorsOf, member, say, withWorld } from "@/tests/helpers/chat_page.ts";
import { samples } from "@/tests/helpers/file_samples.ts";
import { bytesOf } from "@/tests/helpers/uploads.ts";

/** Drops a file of `bytes` named `name` on `target`, as a desktop would. */
async function dropFile(target: Locator, name: string, bytes: number[]) {
  await target.evaluate((el, [name, bytes]) => {
    const data = new DataTransfer();
    data.items.add(
      new File([new Uint8Array(bytes as number[])], name as string, {
        type: "application/octet-stream",
      }),
    );
    for (const type of ["dragover", "drop"]) {
      el.dispatchEvent(
        new DragEvent(type, {
          dataTransfer: data,
          bubbles: true,
          cancelable: true,
        }),
      );
    }
  }, [name, bytes] as const);
}

Deno.test({
  name:
    "thread uploads - attach, drop and paste in a thread panel post replies there, not in the room; also to the room when checked",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await member(w, "ana");
      const bo = await member(w, "bo");
      await say(bo, "send me the report please");
      for (const page of [ana, bo]) {
        const root = page.locator(".log .msg", {
          hasText: "send me the report please",
        });
        await root.hover();
        await root.getByRole("button", { name: /^Reply/ }).click();
      }
      const anaPanel = ana.getByRole("complementary", { name: "Thread" });
      const boPanel = bo.getByRole("complementary", { name: "Thread" });
      await anaPanel.locator(".msg", { hasText: "send me the report" })
        .waitFor();

      // The panel's own Attach button.
      await anaPanel.getByLabel("Attach to the thread").setInputFiles({
        name: "report.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(bytesOf(20_000, 3)),
      });
      await boPanel.locator(".thread-replies .file-card", {
        hasText: "report.bin",
      }).waitFor();

      // A file dropped on the panel, and an image pasted into its box.
      await dropFile(anaPanel.locator(".thread-log"), "notes.bin", [
        ...bytesOf(5_000, 4),
      ]);
      await boPanel.locator(".thread-replies .file-card", {
        hasText: "notes.bin",
      }).waitFor();
      await anaPanel.getByLabel("Reply in thread").evaluate((el, bytes) => {
        const data = new DataTransfer();
        data.items.add(
          new File([new Uint8Array(bytes)], "shot.png", { type: "image/png" }),
        );
        el.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
        );
      }, [...samples.png(40, 30)]);
      await boPanel.locator('.thread-replies img[alt="shot.png"]').waitFor();
      await bo.locator(".log .thread-summary", { hasText: "3 replies" })
        .waitFor();
      // None of them is in the room's timeline.
      for (const name of ["report.bin", "notes.bin", "shot.png"]) {
        await expect(bo.locator(".log .msg", { hasText: name }).count())
          .resolves.toBe(0);
      }

      // "Also send to #general" takes the file to the room too.
      await anaPanel.getByRole("checkbox", { name: /Also send to #/ }).check();
      await dropFile(anaPanel, "both.bin", [...bytesOf(3_000, 5)]);
      await bo.locator(".log .msg .file-card", { hasText: "both.bin" })
        .waitFor();
      await boPanel.locator(".thread-replies .file-card", {
        hasText: "both.bin",
      }).waitFor();

      // Dropped on the room's timeline, a file still goes to the room alone.
      await dropFile(ana.locator(".log"), "room.bin", [...bytesOf(2_000, 6)]);
      await bo.locator(".log .msg .file-card", { hasText: "room.bin" })
        .waitFor();
      await bo.locator(".log .thread-summary", { hasText: "4 replies" })
        .waitFor();
      await expect(
        boPanel.locator(".thread-replies .msg", { hasText: "room.bin" })
          .count(),
      ).resolves.toBe(0);
      expect(errorsOf(ana)).toEqual([]);
      expect(errorsOf(bo)).toEqual([]);
    });
  },
});
