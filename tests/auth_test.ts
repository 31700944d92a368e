/**
 * Accounts, sessions, CSRF and the login limiter through the real path: the
 * app on `Deno.serve` over a KV file, plain `fetch` as the browser, real
 * WebSockets for the chat endpoints.
 */
import { expect } from "expect";
import { type Config, loadConfig } from "@/lib/server/config.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { Auth } from "@/lib/server/auth/middleware.ts";
import { openServices } from "@/lib/server/services.ts";
import { SESSION_TTL_MS } from "@/lib/server/auth/login_sessions.ts";
import { createApp } from "@/main.ts";
import {
  applyBuild,
  withServer as withTestServer,
  wsUrl,
} from "@/tests/helpers/server.ts";
import { Client } from "@/tests/helpers/ws_client.ts";

const PASSWORD = "correct horse battery staple";

interface TestServer {
  url: string;
  chat: Chat;
  auth: Auth;
  clock: { now: number };
}

/** Serves the app as `startServer` does, with a clock the test moves. */
async function withServer(
  env: Record<string, string>,
  fn: (s: TestServer) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "auth_test_" });
  const config: Config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: `${dir}/chat.kv`,
    LOG_LEVEL: "fatal",
    ...env,
  });
  const clock = { now: Date.now() };
  const services = await openServices(config, {
    auth: { now: () => clock.now },
  });
  const { chat, auth } = services;
  const app = await applyBuild(createApp(services));
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    app.handler(),
  );
  try {
    await fn({
      url: `http://127.0.0.1:${server.addr.port}`,
      chat,
      auth,
      clock,
    });
  } finally {
    chat.disconnectAll(1001, "Test over");
    await server.shutdown();
    await services.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A browser without JavaScript: a cookie jar, forms, no redirects followed. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string, readonly headers: HeadersInit = {}) {}

  get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = await fetch(this.base + path, {
      headers: { ...this.headers, cookie: this.cookie },
      redirect: "manual",
    });
    this.#keep(res);
    return { res, html: await res.text() };
  }

  /** Posts a form as a same-origin page would; `headers` override. */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ res: Response; html: string }> {
    const res = await fetch(this.base + path, {
      method: "POST",
      headers: {
        origin: this.base,
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
        ...this.headers,
        cookie: this.cookie,
        ...headers,
      },
      body: new URLSearchParams(fields),
      redirect: "manual",
    });
    this.#keep(res);
    return { res, html: await res.text() };
  }

  /** Loads the form at `path` and posts it with its hidden fields. */
  async submit(
    path: string,
    fields: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<{ res: Response; html: string }> {
    const { html } = await this.get(path);
    const token = csrfOf(html);
    const next = html.match(/name="next" value="([^"]*)"/)?.[1] ?? "/";
    return await this.post(
      path.split("?")[0],
      { csrf: token, next: decodeEntities(next), ...fields },
      headers,
    );
  }

  #keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function csrfOf(html: string): string {
  const token = html.match(/name="csrf" value="([^"]+)"/)?.[1];
  if (!token) throw new Error(`no csrf field in ${html.slice(0, 300)}`);
  return token;
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, "&").replace(/&quot;/g, '"');
}

function sidCookie(res: Response): string {
  const line = res.headers.getSetCookie().find((c) => c.startsWith("sid="));
  if (!line) throw new Error("no sid cookie set");
  return line;
}

async function register(s: TestServer, name: string): Promise<Browser> {
  const b = new Browser(s.url);
  const { res } = await b.submit("/register", {
    username: name,
    password: PASSWORD,
    confirm: PASSWORD,
  });
  expect(res.status).toBe(303);
  return b;
}

/** Whose session the browser holds, as the login page says. */
async function loggedInAs(b: Browser): Promise<string | null> {
  const { html } = await b.get("/login");
  return html.match(/You are logged in as ([^<.]+)\./)?.[1] ?? null;
}

/** The first frame or the close of a WebSocket. */
function firstEvent(
  url: string,
  init?: { headers: Record<string, string> },
): Promise<
  { frame: Record<string, unknown> } | { code: number; reason: string }
> {
  // Deno's WebSocket takes request headers (here the session cookie).
  const ws = new WebSocket(url, init as unknown as string[]);
  return new Promise((resolve, reject) => {
    ws.onmessage = (e) => {
      resolve({ frame: JSON.parse(e.data) });
      ws.close();
    };
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    ws.onerror = () => {};
    setTimeout(() => reject(new Error(`no event on ${url}`)), 5000);
  });
}

Deno.test("auth - register, then login sets an HttpOnly, SameSite=Lax session cookie for /", async () => {
  await withServer({}, async (s) => {
    const first = await register(s, "alice");
    expect(await loggedInAs(first)).toBe("alice");

    const b = new Browser(s.url);
    const { html } = await b.get("/login");
    expect(html).toContain('autocomplete="username"');
    expect(html).toContain('autocomplete="current-password"');
    expect(html).toMatch(/<label for="password">/);
    const { res } = await b.submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const cookie = sidCookie(res);
    expect(cookie).toMatch(/^sid=[\w-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).toMatch(/Max-Age=604800/);
    expect(cookie).not.toContain("Secure");
    expect(await loggedInAs(b)).toBe("alice");
  });
});

Deno.test("auth - typos on the registration form don't count towards its limit; a wait is said in seconds, with Retry-After", async () => {
  await withServer({}, async (s) => {
    await register(s, "alice");
    const b = new Browser(s.url);
    const typos = [
      { username: "bob", password: PASSWORD, confirm: PASSWORD + "x" },
      { username: "bob", password: "short", confirm: "short" },
      { username: "bo b", password: PASSWORD, confirm: PASSWORD },
    ];
    for (let i = 0; i < 9; i++) {
      const { res } = await b.submit("/register", typos[i % typos.length]);
      expect(res.status).toBe(400);
    }
    const { res: created } = await b.submit("/register", {
      username: "bob",
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(created.status).toBe(303);
    // Attempts that get as far as a lookup count: alice, bob and these.
    const taken = { username: "alice", password: PASSWORD, confirm: PASSWORD };
    const c = new Browser(s.url);
    for (let i = 0; i < 3; i++) {
      const { res, html } = await c.submit("/register", taken);
      expect(res.status).toBe(400);
      expect(html).toContain("Username taken");
    }
    const { res, html } = await c.submit("/register", taken);
    expect(res.status).toBe(429);
    const wait = html.match(/try again in (\d+) s\b/)?.[1];
    expect(wait).toBeDefined();
    expect(res.headers.get("retry-after")).toBe(wait);
  });
});

Deno.test("auth - the cookie is Secure behind an https proxy only when TRUST_PROXY is set", async () => {
  for (const trust of [true, false]) {
    await withServer({ TRUST_PROXY: String(trust) }, async (s) => {
      const b = new Browser(s.url, { "x-forwarded-proto": "https" });
      const { res } = await b.submit("/register", {
        username: "alice",
        password: PASSWORD,
        confirm: PASSWORD,
      });
      expect(res.status).toBe(303);
      const cookie = sidCookie(res);
      if (trust) expect(cookie).toContain("; Secure");
      else expect(cookie).not.toContain("Secure");
    });
  }
});

Deno.test("auth - login goes to a local next path, never to another origin", async () => {
  await withServer({}, async (s) => {
    await register(s, "alice");
    for (
      const [next, expected] of [
        ["/rooms/general", "/rooms/general"],
        ["//evil.example/x", "/"],
        ["https://evil.example/", "/"],
      ]
    ) {
      const b = new Browser(s.url);
      const { res } = await b.submit(
        `/login?next=${encodeURIComponent(next)}`,
        { username: "alice", password: PASSWORD },
      );
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(expected);
    }
  });
});

Deno.test("auth - login rotates the session id and ends the one presented", async () => {
  await withServer({}, async (s) => {
    const b = await register(s, "alice");
    const before = b.cookies.get("sid")!;
    // A second browser planting the same id (session fixation) gains nothing.
    const planted = new Browser(s.url);
    planted.cookies.set("sid", before);
    expect(await loggedInAs(planted)).toBe("alice");

    const { res } = await b.submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(res.status).toBe(303);
    const after = b.cookies.get("sid")!;
    expect(after).not.toBe(before);
    expect(await s.auth.sessions.get(before)).toBeNull();
    expect(await loggedInAs(planted)).toBeNull();
    expect(await loggedInAs(b)).toBe("alice");
  });
});

Deno.test("auth - logout ends the session and clears the cookie; GET can't log out", async () => {
  await withServer({}, async (s) => {
    const b = await register(s, "alice");
    const sid = b.cookies.get("sid")!;
    expect(
      await fetch(`${s.url}/logout`, {
        headers: { cookie: b.cookie },
        redirect: "manual",
      }).then(async (r) => (await r.body?.cancel(), r.status)),
    ).toBe(404); // As in Fresh 2.3: a file route lacking the method.
    expect(await loggedInAs(b)).toBe("alice");

    const { html } = await b.get("/login");
    const { res } = await b.post("/logout", { csrf: csrfOf(html) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.getSetCookie().join()).toMatch(/sid=; .*Max-Age=0/);
    expect(await s.auth.sessions.get(sid)).toBeNull();
    const replay = new Browser(s.url);
    replay.cookies.set("sid", sid);
    expect(await loggedInAs(replay)).toBeNull();
  });
});

Deno.test("auth - an expired session is rejected", async () => {
  await withServer({}, async (s) => {
    const b = await register(s, "alice");
    s.clock.now += SESSION_TTL_MS - 60_000;
    expect(await loggedInAs(b)).toBe("alice");
    s.clock.now += 60_000;
    expect(await loggedInAs(b)).toBeNull();
    const welcome = await firstEvent(wsUrl(s, "/ws?name=guest"), {
      headers: { cookie: b.cookie },
    });
    expect(welcome).toMatchObject({
      frame: { type: "welcome", user: { name: "guest", guest: true } },
    });
  });
});

Deno.test("auth - CSRF: a post without the token, with a wrong one or from another origin gets 403", async () => {
  await withServer({}, async (s) => {
    await register(s, "alice");
    const b = new Browser(s.url);
    const { html } = await b.get("/login");
    const token = csrfOf(html);
    const creds = { username: "alice", password: PASSWORD };

    const noToken = await b.post("/login", creds);
    expect(noToken.res.status).toBe(403);
    expect(noToken.html).toMatch(/CSRF check failed/);

    const wrong = await b.post("/login", { ...creds, csrf: "A".repeat(43) });
    expect(wrong.res.status).toBe(403);

    const noCookie = await new Browser(s.url).post("/login", {
      ...creds,
      csrf: token,
    });
    expect(noCookie.res.status).toBe(403);

    // Fresh's csrf(): a browser's Sec-Fetch-Site decides.
    const foreign = await b.post("/login", { ...creds, csrf: token }, {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    });
    expect(foreign.res.status).toBe(403);

    // Without Sec-Fetch-Site (an older browser), the Origin decides.
    const oldBrowser = await fetch(`${s.url}/login`, {
      method: "POST",
      headers: {
        origin: "https://evil.example",
        cookie: b.cookie,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ ...creds, csrf: token }),
      redirect: "manual",
    });
    await oldBrowser.body?.cancel();
    expect(oldBrowser.status).toBe(403);

    expect(b.cookies.has("sid")).toBe(false);
    const ok = await b.post("/login", { ...creds, csrf: token });
    expect(ok.res.status).toBe(303);

    // Logged in, the form token is the session's: the anonymous one no longer counts.
    const logout = await b.post("/logout", { csrf: token });
    expect(logout.res.status).toBe(403);
    expect(await loggedInAs(b)).toBe("alice");
    const forged = await b.post("/logout", { csrf: token }, {
      origin: "https://evil.example",
    });
    expect(forged.res.status).toBe(403);
    expect(await loggedInAs(b)).toBe("alice");
  });
});

Deno.test("auth - failed logins are slowed with 429 and Retry-After, then locked", async () => {
  await withServer({}, async (s) => {
    await register(s, "alice");
    const b = new Browser(s.url);
    const attempt = (password: string) =>
      b.submit("/login", { username: "alice", password });
    for (let i = 0; i < 5; i++) {
      const { res, html } = await attempt(`wrong${i}`);
      expect(res.status).toBe(400);
      expect(html).toContain("Wrong username or password");
    }
    const slowed = await attempt("wrong");
    expect(slowed.res.status).toBe(429);
    expect(slowed.res.headers.get("retry-after")).toBe("1");
    expect(slowed.html).toMatch(/Too many failed logins: try again in 1 s/);
    // While slowed, even the right password is not tried.
    expect((await attempt(PASSWORD)).res.status).toBe(429);

    for (let i = 5; i < 10; i++) {
      s.clock.now += 60_000;
      expect((await attempt(`wrong${i}`)).res.status).toBe(400);
    }
    const locked = await attempt(PASSWORD);
    expect(locked.res.status).toBe(429);
    expect(locked.res.headers.get("retry-after")).toBe("900");
    expect(locked.html).toMatch(/try again in 15 min/);
    expect(b.cookies.has("sid")).toBe(false);

    s.clock.now += 15 * 60_000;
    const after = await attempt(PASSWORD);
    expect(after.res.status).toBe(303);
  });
});

Deno.test("auth - guessing a username's password never locks its owner out; a known device skips the slowdown", async () => {
  await withServer({ TRUST_PROXY: "true" }, async (s) => {
    await register(s, "alice");
    // The owner logged in before from their laptop: it holds a device cookie.
    const laptop = new Browser(s.url, { "x-forwarded-for": "192.0.2.10" });
    expect(
      (await laptop.submit("/login", { username: "alice", password: PASSWORD }))
        .res.status,
    ).toBe(303);
    expect(laptop.cookies.has("device")).toBe(true);
    // Someone guesses from two addresses until each is locked.
    for (let a = 0; a < 2; a++) {
      const mallory = new Browser(s.url, {
        "x-forwarded-for": `203.0.113.${a}`,
      });
      for (let i = 0; i < 12; i++) {
        await mallory.submit("/login", { username: "alice", password: "x" });
        s.clock.now += 61_000;
      }
      const locked = await mallory.submit("/login", {
        username: "alice",
        password: PASSWORD,
      });
      expect(locked.res.status).toBe(429);
    }
    // The owner's laptop goes straight in.
    const again = await laptop.submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(again.res.status).toBe(303);
    // A new device of the owner is slowed at most a minute, not locked.
    const phone = new Browser(s.url, { "x-forwarded-for": "198.51.100.7" });
    for (let i = 0; i < 12; i++) {
      s.clock.now += 61_000;
      await guessFromAnywhere(s);
    }
    const slowed = await phone.submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(slowed.res.status).toBe(429);
    const retry = Number(slowed.res.headers.get("retry-after"));
    expect(retry).toBeLessThanOrEqual(60);
    s.clock.now += retry * 1000;
    const inAfterWait = await phone.submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(inAfterWait.res.status).toBe(303);
  });
});

let guesser = 0;

/** One more failed guess at alice's password from a fresh address. */
async function guessFromAnywhere(s: TestServer): Promise<void> {
  const b = new Browser(s.url, { "x-forwarded-for": `203.0.114.${++guesser}` });
  const { res } = await b.submit("/login", {
    username: "alice",
    password: "x",
  });
  expect(res.status).toBe(400);
}

Deno.test("auth - LOGIN_MAX_ATTEMPTS and LOGIN_LOCK_MS configure the limiter", async () => {
  await withServer(
    { LOGIN_MAX_ATTEMPTS: "2", LOGIN_LOCK_MS: "60000" },
    async (s) => {
      await register(s, "alice");
      const b = new Browser(s.url);
      const attempt = () =>
        b.submit("/login", { username: "alice", password: "wrong" });
      expect((await attempt()).res.status).toBe(400);
      s.clock.now += 1000;
      expect((await attempt()).res.status).toBe(400);
      const locked = await attempt();
      expect(locked.res.status).toBe(429);
      expect(locked.res.headers.get("retry-after")).toBe("60");
    },
  );
});

Deno.test("auth - registration refuses taken names in any case, bad names and short passwords", async () => {
  await withServer({}, async (s) => {
    await register(s, "Alice");
    const b = new Browser(s.url);
    const cases: [Record<string, string>, RegExp][] = [
      [
        { username: "alice", password: PASSWORD, confirm: PASSWORD },
        /Username taken/,
      ],
      [{
        username: "<img src=x onerror=alert(1)>",
        password: PASSWORD,
        confirm: PASSWORD,
      }, /Invalid username/],
      [
        { username: "bob", password: "short", confirm: "short" },
        /Password too short/,
      ],
      [
        { username: "bob", password: PASSWORD, confirm: PASSWORD + "!" },
        /Passwords differ/,
      ],
    ];
    for (const [fields, message] of cases) {
      const { res, html } = await b.submit("/register", fields);
      expect(res.status).toBe(400);
      expect(html).toMatch(message);
      expect(html).not.toContain("<img src=x");
    }
    expect(b.cookies.has("sid")).toBe(false);
  });
});

Deno.test("auth - a guest can't take an account's name on any endpoint", async () => {
  await withServer({}, async (s) => {
    await register(s, "alice");
    // "ALICE-2" is "alice-2" (held by the first guest): names ignore case.
    for (
      const [wanted, given] of [["alice", "alice-2"], ["ALICE", "ALICE-3"]]
    ) {
      const event = await firstEvent(wsUrl(s, `/ws?name=${wanted}`));
      expect(event).toMatchObject({
        frame: { type: "welcome", user: { guest: true } },
      });
      const user = (event as { frame: { user: { name: string } } }).frame.user;
      expect(user.name.toLowerCase()).not.toBe("alice");
      expect(user.name).toBe(given);
    }
    const original = await firstEvent(wsUrl(s, "/ws/general/alice"));
    expect(original).toEqual({
      code: 1008,
      reason: "Name taken: alice is an account",
    });
    const originalCase = await firstEvent(wsUrl(s, "/ws/general/Alice"));
    expect(originalCase).toMatchObject({ code: 1008 });
  });
});

Deno.test("auth - look-alike, mixed-script and invisible names are refused on every endpoint", async () => {
  await withServer({}, async (s) => {
    await s.auth.accounts.register("dave", PASSWORD);
    await s.auth.accounts.register("coe", PASSWORD);
    await s.auth.accounts.register("bill", PASSWORD);
    await s.auth.accounts.register("bob", PASSWORD);
    await s.auth.accounts.register("eve", PASSWORD);
    const b = new Browser(s.url);
    const cases: [string, RegExp][] = [
      ["d\u0430ve", /mixes scripts/], // Cyrillic а among Latin
      ["\u0441\u043e\u0435", /Username taken: сое looks like coe/], // all Cyrillic
      ["\u3164", /invisible or filler/],
      ["x\u200dy", /Invalid username|invisible/],
      ["BiII", /Username taken: BiII looks like bill/], // capital I as l
      ["C0E", /Username taken: C0E looks like coe/], // zero as o
      // Capitals whose small letters look like no Latin name, whether or
      // not the Latin one is taken.
      ["\u0392\u039f\u0392", /written so, ΒΟΒ reads as bob in Latin/], // Greek
      ["\u13ac\u13d9\u13ac", /written so, ᎬᏙᎬ reads as eve in Latin/], // Cherokee
      ["\u039c\u0397\u039d\u0391", /write it in small letters/], // nobody's
    ];
    for (const [username, message] of cases) {
      const { res, html } = await b.submit("/register", {
        username,
        password: PASSWORD,
        confirm: PASSWORD,
      });
      expect(res.status).toBe(400);
      expect(html).toMatch(message);
    }
    // Guests: refused before the upgrade, or given a variant.
    for (const name of ["b\u043eb", "\u3164", "\u115f", "d\u0430ve"]) {
      const res = await fetch(
        `${s.url}/ws?name=${encodeURIComponent(name)}`,
        { headers: { upgrade: "websocket" } },
      );
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(
        /mixes scripts|invisible or filler/,
      );
    }
    // Nor may guests take names that read as Latin ones in capitals.
    for (const name of ["\u0392\u039f\u0392", "\u13ac\u13d9\u13ac"]) {
      const res = await fetch(
        `${s.url}/ws?name=${encodeURIComponent(name)}`,
        { headers: { upgrade: "websocket" } },
      );
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(/in Latin letters/);
    }
    const cyrillic = await firstEvent(
      wsUrl(s, `/ws?name=${encodeURIComponent("\u0441\u043e\u0435")}`),
    );
    expect(cyrillic).toMatchObject({
      frame: { user: { name: "\u0441\u043e\u0435-2", guest: true } },
    });
    // A live guest's look-alike (all Cyrillic "рое" for Latin "poe") is taken too.
    const poe = new WebSocket(wsUrl(s, "/ws?name=poe"));
    await new Promise((r) => poe.onmessage = r);
    const fake = await firstEvent(
      wsUrl(s, `/ws?name=${encodeURIComponent("\u0440\u043e\u0435")}`),
    );
    expect(fake).toMatchObject({
      frame: { user: { name: "\u0440\u043e\u0435-2" } },
    });
    // In Greek capitals ("ΡΟΕ") it is refused on the original endpoint too.
    const original = await firstEvent(
      wsUrl(s, `/ws/general/${encodeURIComponent("\u03a1\u039f\u0395")}`),
    );
    expect(original).toMatchObject({ code: 1008 });
    expect((original as { reason: string }).reason).toMatch(/reads as poe/);
    const legacy = await firstEvent(
      wsUrl(s, `/ws/general/${encodeURIComponent("\u3164")}`),
    );
    expect(legacy).toMatchObject({ code: 1008 });
    const legacyLookalike = await firstEvent(
      wsUrl(s, `/ws/general/${encodeURIComponent("\u0441\u043e\u0435")}`),
    );
    expect(legacyLookalike).toMatchObject({ code: 1008 });
    poe.close();
  });
});

Deno.test("auth - the original endpoints' system sender (시스템) is nobody's name, nor with digits or _ . - added; names needing combining marks are accepted everywhere", async () => {
  await withServer({}, async (s) => {
    const b = new Browser(s.url);
    const system = "시스템";
    const { res, html } = await b.submit("/register", {
      username: system,
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(res.status).toBe(400);
    expect(html).toContain("the name the server's notices go by");
    const guest = await fetch(
      `${s.url}/ws?name=${encodeURIComponent(system)}`,
      { headers: { upgrade: "websocket" } },
    );
    expect(guest.status).toBe(400);
    expect((await guest.json()).error.message).toContain(system);
    // Nor does it with digits, _ . - or look-alikes of them added.
    const near = [
      system,
      `${system}-2`,
      `${system}.`,
      `_${system}`,
      `${system}\u3161`, // Hangul EU, a dash's look-alike
      `${system}\u4e00`, // Han "one", too
    ];
    for (const name of near) {
      for (const path of [`/ws/general/${name}`, `/ws/${name}`]) {
        const refused = await firstEvent(wsUrl(s, encodeURI(path)));
        expect(refused).toMatchObject({ code: 1008 });
        expect((refused as { reason: string }).reason).toContain(system);
      }
      const res = await fetch(
        `${s.url}/ws?name=${encodeURIComponent(name)}`,
        { headers: { upgrade: "websocket" } },
      );
      expect(res.status).toBe(400);
      await res.body?.cancel();
    }
    // Hindi, Thai, Tamil and Bengali names, and a decomposed "é".
    const names = ["राम", "สมศักดิ์", "தமிழ்", "প্রিয়া", "Zoe\u0301"];
    for (const name of names) {
      const welcome = await firstEvent(
        wsUrl(s, `/ws?name=${encodeURIComponent(name)}`),
      );
      expect(welcome).toMatchObject({
        frame: { type: "welcome", user: { name, guest: true } },
      });
    }
    const account = await b.submit("/register", {
      username: "प्रिया",
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(account.res.status).toBe(303);
    // A mark on nothing, or marks piled on one letter, are still refused.
    for (const name of ["\u0301abc", "a\u0301\u0302\u0303\u0304"]) {
      const res = await fetch(
        `${s.url}/ws?name=${encodeURIComponent(name)}`,
        { headers: { upgrade: "websocket" } },
      );
      expect(res.status).toBe(400);
      await res.body?.cancel();
    }
  });
});

Deno.test("auth - a logged-in user's WebSocket is the account, whatever name it asks for", async () => {
  await withServer({}, async (s) => {
    const b = await register(s, "alice");
    const event = await firstEvent(wsUrl(s, "/ws?name=mallory"), {
      headers: { cookie: b.cookie },
    });
    expect(event).toMatchObject({
      frame: { type: "welcome", user: { name: "alice", guest: false } },
    });
    expect((event as { frame: Record<string, unknown> }).frame.token)
      .toBeUndefined();
    // A forged cookie is just a guest.
    const forged = await firstEvent(wsUrl(s, "/ws?name=mallory"), {
      headers: { cookie: `sid=${"A".repeat(43)}` },
    });
    expect(forged).toMatchObject({
      frame: { user: { name: "mallory", guest: true } },
    });
  });
});

Deno.test("auth - the server as started in production registers, logs in, and counts parallel guesses", async () => {
  await withTestServer({}, async (server) => {
    const reg = await new Browser(server.url).submit("/register", {
      username: "alice",
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(reg.res.status).toBe(303);
    const login = await new Browser(server.url).submit("/login", {
      username: "alice",
      password: PASSWORD,
    });
    expect(login.res.status).toBe(303);
    // Each attempt is counted before the slow password check, so guesses
    // fired in parallel can't all be tried: from the fifth on they wait.
    const guesses = await Promise.all(
      Array.from(
        { length: 12 },
        () =>
          new Browser(server.url).submit("/login", {
            username: "alice",
            password: "wrong wrong wrong",
          }),
      ),
    );
    const statuses = guesses.map((g) => g.res.status);
    expect(statuses.filter((s) => s === 400).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(7);
  }, { kvFile: true });
});

Deno.test("auth - registrations from one address are limited", async () => {
  await withServer({}, async (s) => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const { res } = await new Browser(s.url).submit("/register", {
        username: `user${i}`,
        password: PASSWORD,
        confirm: PASSWORD,
      });
      statuses.push(res.status);
    }
    // Five go through, then they must wait.
    expect(statuses).toEqual([303, 303, 303, 303, 303, 429, 429]);
  });
});

Deno.test('auth - logging out closes the sockets opened with that session (1008 "Logged out"); everywhere, every one of the account\'s; others stay', async () => {
  await withServer({}, async (s) => {
    const login = async () => {
      const b = new Browser(s.url);
      const { res } = await b.submit("/login", {
        username: "alice",
        password: PASSWORD,
      });
      expect(res.status).toBe(303);
      return b;
    };
    const socket = async (b?: Browser) => {
      const c = new Client(
        wsUrl(s, b ? "/ws" : "/ws?name=guest"),
        b ? { headers: { cookie: b.cookie } } : {},
      );
      await c.next("welcome");
      return c;
    };
    const logout = async (b: Browser, everywhere = false) => {
      const { html } = await b.get("/login");
      const { res } = await b.post("/logout", {
        csrf: csrfOf(html),
        ...(everywhere ? { everywhere: "1" } : {}),
      });
      expect(res.status).toBe(303);
    };
    const closed = async (c: Client) => {
      await c.until(() => c.ws.readyState === WebSocket.CLOSED || undefined);
      return await c.closed;
    };
    const laptop = await register(s, "alice");
    const phone = await login();
    const tablet = await login();
    const [tab1, tab2, onPhone, onTablet, guest] = await Promise.all([
      socket(laptop),
      socket(laptop),
      socket(phone),
      socket(tablet),
      socket(),
    ]);
    await logout(laptop);
    for (const c of [tab1, tab2]) {
      expect(await closed(c)).toEqual({ code: 1008, reason: "Logged out" });
    }
    // The other sessions' sockets go on.
    for (const c of [onPhone, onTablet, guest]) {
      c.send({ type: "ping" });
      await c.next("pong");
    }
    await logout(phone, true);
    for (const c of [onPhone, onTablet]) {
      expect(await closed(c)).toEqual({ code: 1008, reason: "Logged out" });
    }
    guest.send({ type: "ping" });
    await guest.next("pong");
    await guest.close();
  });
});
