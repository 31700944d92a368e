/**
 * The chat page in headless Chromium against a real server process: a
 * world (server, browser) per test, visitors who pick a name, and small
 * steps every browser test needs.
 *
 * @module
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "./browser.ts";
import { freePort, type ServerProcess, spawnServer } from "./process.ts";

/** A server process and a browser, closed after the test. */
export interface World {
  /** Headless Chromium. */
  browser: Browser;
  /** The server; tests may stop it and put a new one here. */
  server: ServerProcess;
  /** The server's port, kept across restarts. */
  port: number;
  /** The server's environment. */
  env: Record<string, string>;
  /** Contexts to close afterwards. */
  contexts: BrowserContext[];
}

/** A phone's viewport. */
export const PHONE = { width: 390, height: 844 } as const;

/** Runs `fn` with a fresh server (KV in a temp file) and browser. */
export async function withWorld(
  fn: (w: World) => Promise<void>,
  extraEnv: Record<string, string> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-e2e-" });
  const port = freePort();
  const env = { KV_PATH: `${dir}/chat.kv`, LOG_LEVEL: "error", ...extraEnv };
  const server = await spawnServer(port, env);
  const browser = await launchBrowser();
  const w: World = { browser, server, port, env, contexts: [] };
  try {
    await fn(w);
  } finally {
    for (const c of w.contexts) await c.close().catch(() => {});
    await browser.close();
    await w.server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Options of a page: its viewport, theme, device and first room. */
export interface PageOptions {
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
  room?: string;
  /** A path to open instead of the room. */
  path?: string;
  /** A touch phone (coarse pointer, touch events). */
  touch?: boolean;
  /** Whether scripts run (default true). */
  javaScript?: boolean;
  /** Lets tests inject scripts (axe) despite the page's CSP. */
  bypassCSP?: boolean;
}

/** Opens a page on a room without choosing a name; page errors are kept. */
export async function openPage(
  w: World,
  options: PageOptions = {},
): Promise<Page> {
  const context = await w.browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? "light",
    locale: "en-GB",
    timezoneId: "Europe/Berlin",
    hasTouch: options.touch ?? false,
    isMobile: options.touch ?? false,
    javaScriptEnabled: options.javaScript ?? true,
    bypassCSP: options.bypassCSP ?? false,
  });
  w.contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(
    w.server.url + (options.path ?? `/rooms/${options.room ?? "general"}`),
  );
  return page;
}

/**
 * Opens `path` in a second tab of `page`'s browser context (the same
 * cookies and storage: the same person), once connected; errors are kept.
 */
export async function secondTab(page: Page, path: string): Promise<Page> {
  const tab = await page.context().newPage();
  const errors: string[] = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  (tab as Page & { errors: string[] }).errors = errors;
  await tab.goto(new URL(path, page.url()).href);
  await connected(tab);
  return tab;
}

/** Opens a page as a new visitor who picks `name`, once connected. */
export async function visitor(
  w: World,
  name: string,
  options: PageOptions = {},
): Promise<Page> {
  const page = await openPage(w, options);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Join the chat" }).click();
  await connected(page);
  // In one of its rooms it is listed; a room it is not in is a preview.
  await page.locator(".members-list li", { hasText: name })
    .or(page.locator(".join-bar")).first().waitFor({ state: "attached" });
  return page;
}

/** Creates the public room `room` from the sidebar and waits to be in it. */
export async function createRoom(page: Page, room: string): Promise<void> {
  await page.getByLabel("New room").fill(room);
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("h1", { hasText: `# ${room}` }).waitFor();
}

/** Joins the room `page` previews, with its "Join" button. */
export async function joinRoom(page: Page, room: string): Promise<void> {
  await page.getByRole("button", { name: `Join #${room}` }).click();
  await page.locator("#composer").waitFor();
  await page.locator(`a.room[data-room="${room}"]`).waitFor();
}

/** Waits until the page's connection is open. */
export async function connected(page: Page, timeout = 30_000): Promise<void> {
  await page.locator('.banner[data-state="open"]').waitFor({
    state: "attached",
    timeout,
  });
}

/** Errors the page raised (uncaught exceptions, alerts). */
export const errorsOf = (page: Page): string[] =>
  (page as Page & { errors: string[] }).errors;

/** What holds the focus, by its accessible label or else its text. */
export const focusedName = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? "";
  });

/** Types `text` and sends it; unless `offline`, waits for the server's ack. */
export async function say(
  page: Page,
  text: string,
  offline = false,
): Promise<void> {
  await page.locator("#composer").fill(text);
  await page.locator("#composer").press("Enter");
  if (!offline) {
    await page.waitForFunction(() => !document.querySelector(".msg.pending"));
  }
}

/**
 * A room's stored messages, through the history API; membership events
 * ("ana joined") only with `events`.
 */
export async function history(
  w: World,
  room = "general",
  options: { events?: boolean } = {},
): Promise<
  {
    id: number;
    user: string;
    text: string;
    deleted?: boolean;
    parent?: number;
  }[]
> {
  const res = await fetch(
    `${w.server.url}/api/rooms/${room}/messages?limit=200`,
  );
  const messages: {
    id: number;
    user: string;
    text: string;
    event?: unknown;
  }[] = (await res.json()).messages;
  return options.events ? messages : messages.filter((m) => !m.event);
}

/**
 * Sends `texts` to `room` as a plain WebSocket client named `name` and
 * waits for every ack; returns the socket for more.
 */
export async function seed(
  w: World,
  texts: string[],
  options: { room?: string; name?: string } = {},
): Promise<WebSocket> {
  const room = options.room ?? "general";
  const ws = new WebSocket(
    `${w.server.url.replace("http", "ws")}/ws?name=${options.name ?? "seed"}`,
  );
  await new Promise((r) => ws.onmessage = r);
  ws.send(JSON.stringify({ type: "join", room }));
  let acks = 0;
  const done = new Promise<void>((resolve) => {
    if (texts.length === 0) resolve();
    ws.onmessage = (e) => {
      if (JSON.parse(e.data).type === "ack" && ++acks === texts.length) {
        resolve();
      }
    };
  });
  texts.forEach((text, i) =>
    ws.send(
      JSON.stringify({
        type: "send",
        room,
        text,
        clientId: `seed-${Date.now()}-${i}`,
      }),
    )
  );
  await done;
  return ws;
}

/** Registers account `name` through the form and returns its chat page. */
export async function member(
  w: World,
  name: string,
  options: PageOptions = {},
): Promise<Page> {
  const page = await openPage(w, {
    ...options,
    path: `/register?next=/rooms/${options.room ?? "general"}`,
  });
  await page.getByLabel(/^Username/).fill(name);
  await page.getByLabel(/^Password \(/).fill("correct horse battery");
  await page.getByLabel("Password again").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/rooms\//);
  await connected(page);
  return page;
}
