/**
 * Refreshes the README's screenshots (`docs/screenshot-*.png`): desktop,
 * phone and dark views of a room with a short conversation. Run with
 * `deno task screenshots`; not a test, so the suite never rewrites docs/.
 *
 * @module
 */
import type { Page } from "playwright-core";
import { PHONE, say, visitor, withWorld } from "@/tests/helpers/chat_page.ts";

const DOCS = new URL("../../docs/", import.meta.url).pathname;

async function shoot(page: Page, name: string) {
  await page.locator(".banner.hidden").waitFor({ state: "attached" });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${DOCS}screenshot-${name}.png` });
  console.log(`docs/screenshot-${name}.png`);
}

await withWorld(async (w) => {
  const ana = await visitor(w, "ana");
  const mina = await visitor(w, "민아", { colorScheme: "dark" });
  const ben = await visitor(w, "ben");
  await say(ana, "Morning! The deploy went out at 9 — anything odd?");
  await say(ben, "All quiet here. Latency is **down** a bit, see #random");
  await say(mina, "안녕하세요! 한국어도 잘 보여요 @ana");
  await say(
    ana,
    "Nice. The fix was one line:\n```ts\nconst limit = welcome.limits.maxTextBytes;\n```",
  );
  await say(ben, "_ship it_ then");
  await ben.locator('a.room[data-room="random"]').click();
  await say(ben, "@ana lunch at noon?");
  await ana.locator('a.room[data-room="random"] .badge').waitFor();
  await mina.locator(".msg", { hasText: "ship it" }).waitFor();
  await shoot(ana, "desktop");
  await shoot(mina, "dark");
  const phone = await visitor(w, "pho", { viewport: PHONE, touch: true });
  await phone.locator(".msg", { hasText: "ship it" }).waitFor();
  await shoot(phone, "phone");
});
