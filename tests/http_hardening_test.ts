/**
 * Smaller hardening over real HTTP and WebSocket connections: the Origin
 * check with a configured public origin (DNS rebinding), who may read
 * /metrics, "log out everywhere", and `next` paths made protocol-relative by
 * dot segments.
 */
import { expect } from "expect";
import { withServer, wsUrl } from "@/tests/helpers/server.ts";
import { sessionCsrfToken } from "@/lib/server/auth/csrf.ts";
import { Client } from "@/tests/helpers/ws_client.ts";

const PASSWORD = "correct horse battery staple";

/** The status of a WebSocket upgrade attempt with `headers`. */
async function upgradeStatus(
  url: string,
  headers: Record<string, string>,
): Promise<number> {
  const ws = new WebSocket(url, { headers } as unknown as string[]);
  return await new Promise((resolve) => {
    ws.onopen = () => {
      ws.close();
      resolve(101);
    };
    ws.onerror = (e) => {
      const m = /status (\d+)|(\d{3})/.exec(
        e instanceof ErrorEvent ? e.message : "",
      );
      resolve(m ? Number(m[1] ?? m[2]) : 0);
    };
  });
}

Deno.test("origin - with PUBLIC_URL set, an Origin matching the Host is refused; the public origin is let in", async () => {
  await withServer({ PUBLIC_URL: "https://chat.example" }, async (s) => {
    const url = wsUrl(s, "/ws?name=reb");
    // A rebinding page at http://<host:port> sends an Origin equal to the Host.
    const own = new URL(s.url).origin;
    const res = await fetch(`${s.url}/ws?name=reb`, {
      headers: { origin: own, upgrade: "websocket" },
    });
    expect(res.status).toBe(403);
    await res.body?.cancel();
    expect(await upgradeStatus(url, { origin: "https://chat.example" }))
      .toBe(101);
  });
});

Deno.test("metrics - loopback only by default, a bearer token when METRICS_TOKEN is set, anyone with METRICS_PUBLIC", async () => {
  await withServer({ TRUST_PROXY: "true" }, async (s) => {
    const local = await fetch(`${s.url}/metrics`);
    expect(local.status).toBe(200);
    await local.body?.cancel();
    const remote = await fetch(`${s.url}/metrics`, {
      headers: { "x-forwarded-for": "203.0.113.5" },
    });
    expect(remote.status).toBe(403);
    await remote.body?.cancel();
  });
  const token = "s3cret-metrics-token-0123";
  await withServer({ METRICS_TOKEN: token }, async (s) => {
    for (const auth of [undefined, "Bearer nope"]) {
      const res = await fetch(`${s.url}/metrics`, {
        headers: auth ? { authorization: auth } : {},
      });
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
    const ok = await fetch(`${s.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE");
  });
  await withServer(
    { TRUST_PROXY: "true", METRICS_PUBLIC: "true" },
    async (s) => {
      const res = await fetch(`${s.url}/metrics`, {
        headers: { "x-forwarded-for": "203.0.113.5" },
      });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    },
  );
});

Deno.test("sessions - log out everywhere ends the account's sessions on every device", async () => {
  await withServer({}, async (s) => {
    await s.auth.accounts.register("ann", PASSWORD);
    await s.auth.accounts.register("bob", PASSWORD);
    const phone = await s.auth.sessions.create("ann");
    const laptop = await s.auth.sessions.create("ann");
    const other = await s.auth.sessions.create("bob");
    const who = async (sid: string) => {
      const html = await (await fetch(`${s.url}/login`, {
        headers: { cookie: `sid=${sid}` },
      })).text();
      return /You are logged in as ([^<.]+)\./.exec(html)?.[1] ?? null;
    };
    expect(await who(laptop.id)).toBe("ann");
    const res = await fetch(`${s.url}/logout`, {
      method: "POST",
      headers: {
        cookie: `sid=${phone.id}`,
        origin: s.url,
        "sec-fetch-site": "same-origin",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        csrf: sessionCsrfToken(phone.id),
        everywhere: "1",
      }),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    await res.body?.cancel();
    expect(await who(phone.id)).toBe(null);
    expect(await who(laptop.id)).toBe(null);
    expect(await who(other.id)).toBe("bob");
  });
});

Deno.test("login - a next path made protocol-relative by dot segments sends the user home", async () => {
  await withServer({}, async (s) => {
    const html = await (await fetch(
      `${s.url}/login?next=${encodeURIComponent("/..//evil.example")}`,
    )).text();
    expect(html).toMatch(/name="next" value="\/"/);
    expect(html).not.toContain("evil.example");
  });
});

Deno.test("errors - an unknown path under /api or /ws is a 404, a malformed parameter there a 400, both with JSON bodies, not the HTML page", async () => {
  await withServer({}, async (s) => {
    for (
      const [method, path] of [
        ["GET", "/api/nope"],
        ["POST", "/api/rooms/general/nope/deeper"],
        ["GET", "/ws/a/b/c"],
      ]
    ) {
      const res = await fetch(s.url + path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json();
      expect(body.error.status).toBe(404);
      expect(body.error.message).toContain(path.split("/")[1]);
    }
    // A parameter that isn't valid percent-encoding: a JSON 400 too.
    for (
      const path of ["/api/rooms/%ZZ/messages", "/api/rooms/%E0%A4%A/members"]
    ) {
      const res = await fetch(s.url + path);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await res.json()).error.message).toMatch(/Malformed URL/);
    }
    // A page that doesn't exist is still the HTML page.
    const page = await fetch(s.url + "/nope");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    await page.body?.cancel();
  });
});

Deno.test("errors - an /api or /ws path ending in '/' is the routes' JSON 404, not the HTML page", async () => {
  await withServer({}, async (s) => {
    for (
      const [method, path, message] of [
        ["GET", "/api/", "No API at /api/"],
        ["GET", "/api/rooms/", "No API at /api/rooms/"],
        ["HEAD", "/api/rooms/", undefined],
        [
          "GET",
          "/api/rooms/general/messages/",
          "No API at /api/rooms/general/messages/",
        ],
        ["GET", "/api/search/?q=a", "No API at /api/search/"],
        [
          "POST",
          "/api/rooms/general/uploads/",
          "No API at /api/rooms/general/uploads/",
        ],
        ["GET", "/ws/", "No WebSocket endpoint at /ws/"],
        [
          "GET",
          "/ws/general/ana/",
          "No WebSocket endpoint at /ws/general/ana/",
        ],
      ]
    ) {
      const res = await fetch(s.url + path, { method });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      if (message === undefined) {
        await res.body?.cancel();
        continue;
      }
      expect(await res.json()).toEqual({ error: { status: 404, message } });
    }
    // Pages keep the HTML page, and a path merely starting with "api" too.
    for (const path of ["/nope/", "/apix/"]) {
      const page = await fetch(s.url + path);
      expect(page.status).toBe(404);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      await page.body?.cancel();
    }
  });
});

Deno.test("errors - an encoded slash, backslash or NUL in an /api or /ws path gets a JSON error, in a page's path the HTML 404", async () => {
  await withServer({}, async (s) => {
    for (
      const path of [
        "/api/rooms/a%2Fb/messages",
        "/api/rooms/a%5Cb/messages",
        "/api/rooms/general%00/messages",
        "/api/x%2Fy",
        "/ws/a%2Fb/ana",
        "/ws/general/a%00b",
      ]
    ) {
      const res = await fetch(s.url + path);
      expect({ path, status: res.status >= 400 && res.status < 500 })
        .toEqual({ path, status: true });
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json();
      expect(body.error.status).toBe(res.status);
      expect(typeof body.error.message).toBe("string");
    }
    for (const path of ["/rooms/a%2Fb", "/a%00b", "/%2e%2e/deno.json"]) {
      const page = await fetch(s.url + path);
      expect({ path, status: page.status }).toEqual({ path, status: 404 });
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).not.toContain("nodeModulesDir");
    }
  });
});

Deno.test("names - a refused name whose reason would overflow a close frame (40 Korean letters, emoji) closes 1008 with a cut reason; the server lives on", async () => {
  await withServer({}, async (s) => {
    for (
      const path of [
        `/ws/general/${encodeURIComponent("가".repeat(40))}`,
        `/ws/${encodeURIComponent("가".repeat(40))}`,
        `/ws/general/${encodeURIComponent("😀".repeat(40))}`,
      ]
    ) {
      const c = new Client(wsUrl(s, path));
      const closed = await c.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason.length).toBeGreaterThan(0);
      expect(new TextEncoder().encode(closed.reason).length)
        .toBeLessThanOrEqual(123);
    }
    // Still serving: a good name gets in.
    const ok = new Client(wsUrl(s, "/ws/general/mina"));
    await ok.until(() => ok.frames.length > 0 || undefined);
    expect(ok.ws.readyState).toBe(WebSocket.OPEN);
    await ok.close();
  });
});

/**
 * Loads the form at `path` and posts `fields` with its CSRF token and
 * cookie, as a same-origin page would, with `contentType`.
 */
async function submitForm(
  s: { url: string },
  path: string,
  fields: Record<string, string>,
  contentType = "application/x-www-form-urlencoded",
): Promise<{ status: number; html: string; sid?: string }> {
  const form = await fetch(s.url + path);
  const html = await form.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  const cookie = form.headers.getSetCookie().map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(s.url + path, {
    method: "POST",
    headers: {
      cookie,
      origin: s.url,
      "sec-fetch-site": "same-origin",
      "content-type": contentType,
    },
    body: new URLSearchParams({ csrf, ...fields }),
    redirect: "manual",
  });
  const sid = res.headers.getSetCookie().find((c) => c.startsWith("sid="));
  return { status: res.status, html: await res.text(), sid };
}

Deno.test("forms - a username far longer than any name (no store key) gets the login and register forms' usual 400, not a 500", async () => {
  await withServer({}, async (s) => {
    for (const username of ["a".repeat(3000), "가".repeat(1000)]) {
      const login = await submitForm(s, "/login", {
        username,
        password: PASSWORD,
      });
      expect(login.status).toBe(400);
      expect(login.html).toContain("Wrong username or password");
      const register = await submitForm(s, "/register", {
        username,
        password: PASSWORD,
        confirm: PASSWORD,
      });
      expect(register.status).toBe(400);
      expect(register.html).toContain("Invalid username");
    }
    // Names within the rules go on as before.
    const made = await submitForm(s, "/register", {
      username: "ann",
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(made.status).toBe(303);
    const wrong = await submitForm(s, "/login", {
      username: "ann",
      password: "not the password",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("Wrong username or password");
  });
});

Deno.test("forms - the form's media type is matched whatever its case (Application/X-WWW-Form-URLEncoded; Charset=UTF-8)", async () => {
  await withServer({}, async (s) => {
    await s.auth.accounts.register("ann", PASSWORD);
    const res = await submitForm(
      s,
      "/login",
      { username: "ann", password: PASSWORD },
      "Application/X-WWW-Form-URLEncoded; Charset=UTF-8",
    );
    expect(res.status).toBe(303);
    expect(res.sid).toBeDefined();
  });
});

/** Sends `GET path` with `headers` over a raw connection; the answer's head and body. */
async function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  let text = "";
  const buf = new Uint8Array(4096);
  const decoder = new TextDecoder();
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    const end = text.indexOf("\r\n\r\n");
    const length = /content-length: (\d+)/i.exec(text)?.[1];
    if (end >= 0 && length && text.length >= end + 4 + Number(length)) break;
  }
  conn.close();
  const [head, body] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), head, body };
}

Deno.test("errors - a malformed WebSocket handshake is a JSON 400 (426 for another version), and claims no guest name", async () => {
  await withServer({}, async (s) => {
    const upgrade = {
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Version": "13",
    };
    for (const path of ["/ws?name=leak", "/ws/general/olly", "/ws/cli1"]) {
      const bad = await rawGet(s.url, path, {
        ...upgrade,
        "Sec-WebSocket-Key": "short",
      });
      expect(bad.status).toBe(400);
      expect(bad.head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(bad.body)).toEqual({
        error: {
          status: 400,
          message: "Missing or invalid Sec-WebSocket-Key header",
        },
      });
      const old = await rawGet(s.url, path, {
        ...upgrade,
        "Sec-WebSocket-Version": "8",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      });
      expect(old.status).toBe(426);
      expect(old.head).toMatch(/sec-websocket-version: 13/i);
      expect(JSON.parse(old.body).error.status).toBe(426);
    }
    // The refused request held no name: a newcomer gets it as asked.
    const c = new Client(wsUrl(s, "/ws?name=leak"));
    const welcome = await c.next("welcome");
    expect(welcome.user).toEqual({ name: "leak", guest: true });
    await c.close();
  });
});

Deno.test("http hardening - a body refused from its declared length (413) ends the connection, so its rest is never read as a request", async () => {
  await withServer({}, async (s) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    const enc = new TextEncoder();
    await conn.write(enc.encode(
      `POST /api/rooms/general/uploads HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
        `content-type: application/json\r\ncontent-length: 2000000\r\n\r\n` +
        `{"name":"x.txt","size":1,"padding":"`,
    ));
    // Then what looks like a request of its own, inside the body.
    await conn.write(enc.encode(
      "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
    ));
    let text = "";
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain("connection: close");
    // One answer only: the server closed instead of reading on.
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
