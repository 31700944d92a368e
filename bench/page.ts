/**
 * The chat page in a big, busy room, in Chromium: `deno task bench:page`.
 *
 * One room ("general") with `--members` guests, `--online` of them connected
 * at a time; `--rate` messages a second from random people online (every
 * tenth mentions the page's reader), `--typists` renewing their typing every
 * 2 s, and `--churn` people a second going offline while as many come back.
 * The page opens the room as a desktop (1280×800) and as a phone (390×844,
 * touch), waits until its message list is full (the newest 500), then
 * measures for `--seconds`: the share of the time the page's main thread was
 * busy with long tasks (over 50 ms), the time from a key press in the
 * message box to the letter showing (median and p90, one press a second),
 * frames a second, and the page's DOM nodes. The server's own limits are
 * raised for the load (one address makes every connection). `BENCH_CWD`
 * runs the app from another checkout, built beforehand: a worktree of an
 * older commit, to compare.
 *
 * Usage: `deno task bench:page [-- --members=3000 --online=300 --rate=10
 * --typists=8 --churn=5 --seconds=30 --views=desktop,phone]`. Prints a line
 * per view and a JSON line with every figure.
 *
 * @module
 */
import type { Page } from "playwright-core";
import { launchBrowser } from "@/tests/helpers/browser.ts";
import { countFlag, eachFlag, parseOrExit, UsageError } from "./cli_flags.ts";
import { startServer } from "./processes.ts";

/** What a run measures, and under which load. */
export interface PageOptions {
  members: number;
  online: number;
  rate: number;
  typists: number;
  churn: number;
  seconds: number;
  views: ("desktop" | "phone")[];
}

/** One view's figures over the measured window. */
interface ViewResult {
  view: string;
  longTaskShare: number;
  keyMedianMs: number;
  keyP90Ms: number;
  fps: number;
  domNodes: number;
  messages: number;
}

/** What `deno task bench:page -- --help` prints. */
export const PAGE_USAGE = `
Usage: deno task bench:page [-- <flags>]

  --members=N   guests who are members of the room (3000)
  --online=N    of them connected at a time (300)
  --rate=N      messages a second (10)
  --typists=N   people typing all along (8)
  --churn=N     people a second going offline, as many coming back (5)
  --seconds=N   measured per view, once the message list is full (30)
  --views=LIST  desktop, phone or both (desktop,phone)
  --help        prints this
`;

/** Reads `bench:page`'s flags; a bad one is a `UsageError`. */
export function parsePageArgs(args: string[]): PageOptions {
  const o: PageOptions & Record<string, unknown> = {
    members: 3000,
    online: 300,
    rate: 10,
    typists: 8,
    churn: 5,
    seconds: 30,
    views: ["desktop", "phone"],
  };
  eachFlag(args, (flag, value) => {
    if (flag === "--views") {
      const views = value.split(",");
      if (!views.every((v) => v === "desktop" || v === "phone")) return false;
      o.views = views as PageOptions["views"];
      return true;
    }
    return countFlag(
      o,
      [
        "members",
        "online",
        "rate",
        "typists",
        "churn",
        "seconds",
      ],
      flag,
      value,
    );
  });
  if (o.online > o.members) throw new UsageError("--online exceeds --members");
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A guest's way back in: its name and token. */
interface Guest {
  name: string;
  token: string;
}

/** Connects to `url` and resolves with the socket and its `welcome`. */
function connect(url: string): Promise<{ ws: WebSocket; welcome: Guest }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type !== "welcome") return;
      ws.onmessage = null;
      resolve({ ws, welcome: { name: f.user.name, token: f.token } });
    };
    ws.onerror = () => reject(new Error(`could not connect to ${url}`));
  });
}

/** Makes `n` guests, each a member of the default rooms, 100 at a time. */
async function makeMembers(wsUrl: string, n: number): Promise<Guest[]> {
  const guests: Guest[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 100 }, async () => {
    while (next < n) {
      const { ws, welcome } = await connect(`${wsUrl}?name=m${next++}`);
      guests.push(welcome);
      const closed = new Promise((r) => ws.onclose = r);
      ws.close();
      await closed;
    }
  }));
  return guests;
}

/** The room's traffic, until `stop()`. */
function startLoad(wsUrl: string, guests: Guest[], o: PageOptions) {
  const live = new Map<number, WebSocket>();
  let stopped = false;
  let cursor = 0;
  const bring = async () => {
    const i = cursor++ % guests.length;
    const g = guests[i];
    const { ws } = await connect(`${wsUrl}?name=${g.name}&token=${g.token}`);
    ws.send(JSON.stringify({ type: "join", room: "general" }));
    if (stopped) ws.close();
    else live.set(i, ws);
  };
  const send = (ws: WebSocket, frame: object) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };
  const ready = Promise.all(Array.from({ length: o.online }, bring));
  const loops = ready.then(() =>
    Promise.all([
      (async () => {
        for (let n = 1; !stopped; n++) {
          const all = [...live.values()];
          const ws = all[Math.floor(Math.random() * all.length)];
          send(ws, {
            type: "send",
            room: "general",
            text: n % 10 === 0
              ? `@reader have a look at this, number ${n}`
              : `message ${n}: lorem ipsum dolor sit amet`,
            clientId: crypto.randomUUID(),
          });
          await sleep(1000 / o.rate);
        }
      })(),
      (async () => {
        while (!stopped) {
          for (const ws of [...live.values()].slice(0, o.typists)) {
            send(ws, { type: "typing", room: "general", typing: true });
          }
          await sleep(2000);
        }
      })(),
      (async () => {
        while (!stopped) {
          for (let k = 0; k < o.churn; k++) {
            // Typists stay; the others come and go.
            const keys = [...live.keys()].slice(o.typists);
            const gone = keys[Math.floor(Math.random() * keys.length)];
            live.get(gone)?.close();
            live.delete(gone);
            bring().catch(() => {});
          }
          await sleep(1000);
        }
      })(),
    ])
  );
  return {
    ready,
    async stop() {
      stopped = true;
      await loops;
      for (const ws of live.values()) ws.close();
    },
  };
}

/** The median and the 90th percentile of `xs`. */
function percentiles(xs: number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return [at(0.5), at(0.9)];
}

/** Opens the room as `view` and measures it once its list is full. */
async function measure(
  page: Page,
  url: string,
  o: PageOptions,
  view: string,
): Promise<ViewResult> {
  await page.addInitScript(() => {
    const w = window as unknown as { longTasks: number[][]; frames: number };
    w.longTasks = [];
    w.frames = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.longTasks.push([e.startTime, e.duration]);
      }
    }).observe({ type: "longtask", buffered: true });
    const tick = () => {
      w.frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto(`${url}/rooms/general`);
  await page.getByLabel("Display name").fill("reader");
  await page.getByRole("button", { name: "Join the chat" }).click();
  await page.locator('.banner[data-state="open"]').waitFor({
    state: "attached",
    timeout: 60_000,
  });
  await page.waitForFunction(
    () => document.querySelectorAll(".messages > li").length >= 480,
    undefined,
    { timeout: 600_000, polling: 1000 },
  );
  const mark = () =>
    page.evaluate(() => {
      const w = window as unknown as { longTasks: number[][]; frames: number };
      return { at: performance.now(), frames: w.frames };
    });
  const start = await mark();
  const keys: number[] = [];
  const box = page.locator("#composer");
  await box.focus();
  const until = Date.now() + o.seconds * 1000;
  while (Date.now() < until) {
    const t = performance.now();
    await page.keyboard.type("x");
    await page.waitForFunction(() =>
      (document.querySelector("#composer") as HTMLTextAreaElement).value
        .endsWith("x")
    );
    keys.push(performance.now() - t);
    await page.keyboard.press("Backspace");
    await sleep(1000);
  }
  const end = await mark();
  const stats = await page.evaluate((from) => {
    const w = window as unknown as { longTasks: number[][] };
    const busy = w.longTasks.filter(([t]) => t >= from)
      .reduce((sum, [, d]) => sum + d, 0);
    return {
      busy,
      dom: document.getElementsByTagName("*").length,
      messages: document.querySelectorAll(".messages > li").length,
    };
  }, start.at);
  const [keyMedianMs, keyP90Ms] = percentiles(keys);
  return {
    view,
    longTaskShare: stats.busy / (end.at - start.at),
    keyMedianMs,
    keyP90Ms,
    fps: (end.frames - start.frames) / ((end.at - start.at) / 1000),
    domNodes: stats.dom,
    messages: stats.messages,
  };
}

if (import.meta.main) {
  const o = parseOrExit("bench:page", Deno.args, PAGE_USAGE, parsePageArgs);
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-page-" });
  const cwd = Deno.env.get("BENCH_CWD");
  const server = await startServer("app", {
    KV_PATH: `${dir}/chat.kv`,
    RATE_PER_SECOND: "1000",
    RATE_BURST: "10000",
    MAX_CONNECTIONS_PER_IP: "1000000",
    ...(cwd ? { BENCH_CWD: cwd } : {}),
  });
  const url = server.wsUrl.replace(/^ws/, "http").replace(/\/ws$/, "");
  const browser = await launchBrowser();
  const results: ViewResult[] = [];
  try {
    const guests = await makeMembers(server.wsUrl, o.members);
    const load = startLoad(server.wsUrl, guests, o);
    await load.ready;
    try {
      for (const view of o.views) {
        const context = await browser.newContext(
          view === "phone"
            ? {
              viewport: { width: 390, height: 844 },
              hasTouch: true,
              isMobile: true,
            }
            : { viewport: { width: 1280, height: 800 } },
        );
        const r = await measure(await context.newPage(), url, o, view);
        await context.close();
        results.push(r);
        console.log(
          `${view}: long tasks ${
            (r.longTaskShare * 100).toFixed(1)
          }% of the time, ` +
            `key press to screen ${r.keyMedianMs.toFixed(0)} ms (p90 ${
              r.keyP90Ms.toFixed(0)
            }), ${r.fps.toFixed(0)} frames/s, ${r.domNodes} DOM nodes`,
        );
      }
    } finally {
      await load.stop();
    }
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  console.log(JSON.stringify({ options: o, results }));
}
