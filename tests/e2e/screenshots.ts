/**
 * Refreshes the README's screenshots (`docs/screenshot-*.png`): a room
 * with a short conversation in English and Korean, its topic, reactions, a
 * pinned message and a thread; on the desktop the `@` completion list is
 * open, in dark mode the thread panel, on the phone the emoji picker. Run
 * with `deno task screenshots`; not a test, so the suite never rewrites
 * docs/. Colour emoji need the `fonts-noto-color-emoji` package.
 *
 * @module
 */
import type { Page } from "playwright-core";
import {
  createRoom,
  joinRoom,
  member,
  PHONE,
  say,
  visitor,
  withWorld,
} from "@/tests/helpers/chat_page.ts";

const DOCS = new URL("../../docs/", import.meta.url).pathname;
const ROOM = "launch";

async function shoot(page: Page, name: string) {
  await page.locator(".banner.hidden").waitFor({ state: "attached" });
  await page.screenshot({ path: `${DOCS}screenshot-${name}.png` });
  console.log(`docs/screenshot-${name}.png`);
}

/** Reacts to the message holding `text` with `emoji`, from the palette. */
async function react(page: Page, text: string, emoji: string) {
  const msg = page.locator(".log .msg", { hasText: text });
  await msg.hover();
  await msg.getByRole("button", { name: /^Add a reaction/ }).click();
  await msg.getByRole("button", { name: `React with ${emoji}` }).click();
  await msg.locator(".reaction", { hasText: emoji }).waitFor();
}

/** Replies to the message holding `text` in its thread. */
async function reply(page: Page, text: string, answer: string) {
  const msg = page.locator(".log .msg", { hasText: text });
  await msg.hover();
  await msg.getByRole("button", { name: /^Reply/ }).click();
  const panel = page.getByRole("complementary", { name: "Thread" });
  await panel.getByLabel("Reply in thread").fill(answer);
  await panel.getByLabel("Reply in thread").press("Enter");
  await panel.locator(".msg", { hasText: answer }).waitFor();
  await panel.getByRole("button", { name: "Close thread" }).click();
}

await withWorld(async (w) => {
  const ana = await member(w, "ana", {
    viewport: { width: 1440, height: 860 },
  });
  await createRoom(ana, ROOM);
  const mina = await visitor(w, "민아", { colorScheme: "dark", room: ROOM });
  await joinRoom(mina, ROOM);
  const ben = await visitor(w, "ben", { room: ROOM });
  await joinRoom(ben, ROOM);

  await ana.getByRole("button", { name: "Pinned messages" }).click();
  await ana.getByLabel("Room topic").fill("Release week: freeze on Friday 🚀");
  await ana.getByRole("button", { name: "Save topic" }).click();
  await ana.locator(".pane-head .topic", { hasText: "freeze" }).waitFor();
  await ana.getByRole("button", { name: "Pinned messages" }).click();

  await say(ana, "Morning! The deploy went out at 9 — anything odd?");
  await say(ben, "All quiet here. Latency is **down** a bit, see #general");
  await say(mina, "안녕하세요! 한국어 검색도 잘 돼요 🎉 @ana");
  await say(
    ana,
    "Nice. The fix was one line:\n```ts\nconst limit = welcome.limits.maxTextBytes;\n```",
  );
  await say(ben, "_ship it_ then 👍");
  await react(ben, "The deploy went out", "👍");
  await react(mina, "The deploy went out", "🎉");
  await react(ana, "ship it", "❤️");
  const fix = ana.locator(".log .msg", { hasText: "The fix was one line" });
  await fix.hover();
  await fix.getByRole("button", { name: /^Pin/ }).click();
  await reply(ben, "The fix was one line", "Checked it on staging, all good");
  await reply(mina, "The fix was one line", "저도 확인했어요. 감사합니다!");
  await ana.locator(".log .thread-summary", { hasText: "2 replies" }).waitFor();

  // Desktop: the @ list open in the composer.
  await ana.locator("#composer").focus();
  await ana.keyboard.type("Thanks both, ");
  await ana.keyboard.type("@");
  await ana.getByRole("listbox", { name: "Suggestions" }).waitFor();
  await ana.mouse.move(0, 0);
  await shoot(ana, "desktop");

  // Dark: the thread panel open.
  await mina.locator(".log .thread-summary", { hasText: "2 replies" }).click();
  await mina.getByRole("complementary", { name: "Thread" })
    .locator(".msg", { hasText: "감사합니다" }).waitFor();
  await mina.mouse.move(0, 0);
  await shoot(mina, "dark");

  // Phone: the emoji picker open over a Korean draft.
  const phone = await visitor(w, "pho", {
    viewport: PHONE,
    touch: true,
    room: ROOM,
  });
  await phone.getByRole("button", { name: `Join #${ROOM}` }).tap();
  await phone.locator("#composer").waitFor();
  await phone.locator(".msg", { hasText: "ship it" }).waitFor();
  await phone.locator("#composer").tap();
  await phone.keyboard.type("좋아요 ");
  await phone.getByRole("button", { name: "Emoji" }).tap();
  const picker = phone.getByRole("dialog", { name: "Emoji picker" });
  await picker.waitFor();
  await picker.getByRole("option", { name: "party popper" }).waitFor();
  await shoot(phone, "phone");
});
