/**
 * Pasting files in Chromium: a screenshot pasted into the room's message
 * box is uploaded to the room, one pasted into a thread's reply box to the
 * thread; one pasted into any other field (the "New room" field) is left
 * alone, not posted anywhere.
 */
import { expect } from "expect";
import type { Locator } from "playwright-core";
import { BROWSER_TEST } from "@/tests/helpers/browser.ts";
import {
  errorsOf,
  history,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";
import { samples } from "@/tests/helpers/file_samples.ts";

/**
 * Pastes a small PNG named `name` into `field`; true when the page left the
 * paste to the browser (did not take it).
 */
const pastePng = (field: Locator, name: string): Promise<boolean> =>
  field.evaluate((el, [name, bytes]) => {
    const data = new DataTransfer();
    data.items.add(
      new File([new Uint8Array(bytes as number[])], name as string, {
        type: "image/png",
      }),
    );
    return el.dispatchEvent(
      new ClipboardEvent("paste", {
        clipboardData: data,
        bubbles: true,
        cancelable: true,
      }),
    );
  }, [name, [...samples.png(40, 30)]]);

Deno.test({
  name:
    "paste - a file pasted into the message box goes to the room, into a thread's reply box to the thread; into a form field, nowhere",
  ...BROWSER_TEST,
  async fn() {
    await withWorld(async (w) => {
      const ana = await visitor(w, "ana");
      await say(ana, "lunch?");
      const root = ana.locator(".log .msg", { hasText: "lunch?" });
      await root.hover();
      await root.getByRole("button", { name: /^Reply/ }).click();
      const panel = ana.getByRole("complementary", { name: "Thread" });
      const reply = panel.getByLabel("Reply in thread");
      await reply.waitFor();

      // Into the thread's reply box it is a reply in that thread.
      expect(await pastePng(reply, "thread.png")).toBe(false);
      await panel.locator('.thread-replies .file-image img[alt="thread.png"]')
        .waitFor();
      // Into any other field the paste is the browser's.
      expect(await pastePng(ana.locator("#new-room"), "form.png")).toBe(true);
      // Into the message box it is taken and uploaded to the room.
      expect(await pastePng(ana.locator("#composer"), "room.png")).toBe(false);
      await ana.locator('.log .msg .file-image img[alt="room.png"]').waitFor();

      await expect(ana.locator(".uploads li").count()).resolves.toBe(0);
      await expect(ana.locator(".log .file-image").count()).resolves.toBe(1);
      // An upload's message text is the file's name; the thread's is a reply.
      const [lunch, ...files] = await history(w);
      expect(files.map((m) => [m.text, m.parent])).toEqual([
        ["thread.png", lunch.id],
        ["room.png", undefined],
      ]);
      expect(errorsOf(ana)).toEqual([]);
    });
  },
});
