/**
 * Uploads in Chromium: a file attached with the button (a progress bar while
 * it goes, an image shown by its thumbnail, full size behind it), an image
 * pasted into the composer, a file dropped on the page (a download card whose
 * link brings back the same bytes), a refusal shown with its reason, a
 * guest's own file that they may delete, after a reload too, and ↑ editing
 * one's last text, never a file.
 */
import { expect } from "expect";
import { Buffer } from "node:buffer";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import type { Locator } from "playwright-core";
import {
  connected,
  errorsOf,
  history,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import { samples } from "@/tests/helpers/file_samples.ts";
import { bytesOf } from "@/tests/helpers/uploads.ts";

Deno.test({
  name:
    "uploads - attach, paste and drop: progress shown, thumbnails rendered, downloads work, refusals explained",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      // Whether a progress bar was ever shown, however quick the upload.
      await ana.evaluate(() => {
        const seen = document.documentElement;
        new MutationObserver(() => {
          if (document.querySelector(".uploads progress")) {
            seen.dataset.progressSeen = "yes";
          }
        }).observe(document.body, { childList: true, subtree: true });
      });

      // The Attach button: a large image goes up with a visible progress bar.
      const photo = samples.png(1200, 900);
      const big = new Uint8Array(photo.length + 3_000_000);
      big.set(photo);
      await ana.locator(".upload-bar input[type=file]").setInputFiles({
        name: "photo.png",
        mimeType: "image/png",
        buffer: Buffer.from(big),
      });
      const image = ana.locator(".msg .file-image img", { hasText: "" })
        .first();
      await image.waitFor({ timeout: 30_000 });
      await ana.waitForFunction(
        () => {
          const img = document.querySelector<HTMLImageElement>(
            ".msg .file-image img",
          );
          return img !== null && img.complete && img.naturalWidth > 0;
        },
        undefined,
        { timeout: 30_000 },
      );
      expect(
        await ana.evaluate(() => document.documentElement.dataset.progressSeen),
      ).toBe("yes");
      const [src, href, width] = await ana.locator(".msg .file-image").first()
        .evaluate((a: HTMLAnchorElement) => {
          const img = a.querySelector("img")!;
          return [img.getAttribute("src"), a.getAttribute("href"), img.width];
        });
      // The thumbnail is its own small file; the link opens the full image.
      expect(src).not.toBe(href);
      expect(width).toBeGreaterThan(0);
      expect(width).toBeLessThanOrEqual(320);
      const full = await ana.evaluate(async (url) => {
        const res = await fetch(url!);
        return [
          res.status,
          res.headers.get("content-type"),
          (await res.arrayBuffer()).byteLength,
        ];
      }, href);
      expect(full).toEqual([200, "image/png", big.length]);

      // Pasting a screenshot into the composer uploads it.
      const pasted = [...samples.png(40, 30)];
      await ana.locator("#composer").evaluate((el, bytes) => {
        const data = new DataTransfer();
        data.items.add(
          new File([new Uint8Array(bytes)], "screenshot.png", {
            type: "image/png",
          }),
        );
        el.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
        );
      }, pasted);
      await ana.locator('.msg .file-image img[alt="screenshot.png"]').waitFor();

      // A file dropped on the page becomes a download card.
      const notes = [...bytesOf(50_000, 9)];
      await ana.locator(".log").evaluate((el, bytes) => {
        const data = new DataTransfer();
        data.items.add(
          new File([new Uint8Array(bytes)], "notes.bin", {
            type: "application/octet-stream",
          }),
        );
        el.dispatchEvent(
          new DragEvent("dragover", {
            dataTransfer: data,
            bubbles: true,
            cancelable: true,
          }),
        );
        el.dispatchEvent(
          new DragEvent("drop", {
            dataTransfer: data,
            bubbles: true,
            cancelable: true,
          }),
        );
      }, notes);
      const card = ana.locator(".msg .file-card", { hasText: "notes.bin" });
      await card.waitFor();
      await expect(card.textContent()).resolves.toContain("50.0 KB");
      await expect(card.getAttribute("download")).resolves.toBe("notes.bin");
      const got = await card.evaluate(async (a: HTMLAnchorElement) => {
        const res = await fetch(a.href);
        return [...new Uint8Array(await res.arrayBuffer())];
      });
      expect(got).toEqual(notes);

      // A "PNG" that is a web page is refused, and the reason shown.
      await ana.locator(".upload-bar input[type=file]").setInputFiles({
        name: "cat.png",
        mimeType: "image/png",
        buffer: Buffer.from("<!doctype html><script>alert(1)</script>"),
      });
      await ana.locator(".uploads [role=alert]", {
        hasText: "Not an image: declared image/png, the bytes are text/html",
      }).waitFor();
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name: "uploads - a guest may delete the file they posted, after a reload too",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await ana.locator(".upload-bar input[type=file]").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("hello file\n"),
      });
      // One dropped on the page too (its handler is set up before the
      // guest has a name).
      await ana.locator(".log").evaluate((el) => {
        const data = new DataTransfer();
        data.items.add(new File(["dropped"], "dropped.txt"));
        el.dispatchEvent(
          new DragEvent("drop", {
            dataTransfer: data,
            bubbles: true,
            cancelable: true,
          }),
        );
      });
      const msg = ana.locator(".msg.own", { hasText: "notes.txt" });
      const dropped = ana.locator(".msg.own", { hasText: "dropped.txt" });
      await msg.waitFor();
      await dropped.waitFor();
      await ana.locator(".uploads li").waitFor({ state: "detached" });
      for (const m of [msg, dropped]) {
        await m.hover();
        await m.getByRole("button", { name: /^Delete/ }).waitFor();
      }
      await ana.reload();
      await connected(ana);
      await dropped.hover();
      await dropped.getByRole("button", { name: /^Delete/ }).waitFor();
      await msg.hover();
      await msg.getByRole("button", { name: /^Delete/ }).click();
      await msg.getByRole("button", { name: /^Really delete/ }).click();
      await ana.locator(".msg.deleted").waitFor();
      expect((await history(w)).filter((m) => m.deleted).length).toBe(1);
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});

Deno.test({
  name:
    "uploads - ↑ in the room's box or a thread's edits one's last text message, never a file; a file offers no Edit",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "the text to fix");
      const attach = async (input: Locator, name: string) => {
        await input.setInputFiles({
          name,
          mimeType: "application/octet-stream",
          buffer: Buffer.from(bytesOf(2_000, 8)),
        });
      };
      await attach(
        ana.locator("main .upload-bar input[type=file]"),
        "after.bin",
      );
      const card = ana.locator(".log .msg", { hasText: "after.bin" });
      await card.locator(".file-card").waitFor();
      await card.hover();
      await expect(
        card.getByRole("button", { name: /^Edit/ }).count(),
      ).resolves.toBe(0);
      await expect(
        card.getByRole("button", { name: /^Delete/ }).count(),
      ).resolves.toBe(1);
      // ↑ skips the file for the text before it.
      await ana.locator("#composer").press("ArrowUp");
      await expect(ana.locator("#composer").inputValue()).resolves.toBe(
        "the text to fix",
      );
      await ana.locator("#composer").press("Escape");

      // The same in a thread: a reply, then a file, then ↑.
      const root = ana.locator(".log .msg", { hasText: "the text to fix" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const panel = ana.getByRole("complementary", { name: "Thread" });
      const box = panel.getByLabel("Reply in thread");
      await box.fill("a reply to fix");
      await box.press("Enter");
      await panel.locator(".msg:not(.pending)", { hasText: "a reply to fix" })
        .waitFor();
      await attach(panel.getByLabel("Attach to the thread"), "reply.bin");
      await panel.locator(".file-card", { hasText: "reply.bin" }).waitFor();
      await box.press("ArrowUp");
      await expect(box.inputValue()).resolves.toBe("a reply to fix");
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});
