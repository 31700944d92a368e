import { expect } from "expect";
import { h, type VNode } from "preact";
import { App } from "./app.ts";
import { HttpError } from "./http_error.ts";
import type { Context } from "./context.ts";
import { withErrorsCaptured } from "./testdata/capture.ts";

// Without a build applied, as here, an app has programmatic routes only.
function newApp<State = unknown>(): App<State> {
  return new App<State>();
}

function request(path: string, init?: RequestInit): Request {
  return new Request(`http://localhost${path}`, init);
}

Deno.test("app - each method reaches its own route", async () => {
  const handler = newApp()
    .get("/item", () => new Response("got"))
    .post("/item", () => new Response("posted"))
    .put("/item", () => new Response("put"))
    .patch("/item", () => new Response("patched"))
    .delete("/item", () => new Response("deleted"))
    .all("/any", (ctx) => new Response(`any ${ctx.req.method}`))
    .handler();
  for (
    const [method, body] of [
      ["GET", "got"],
      ["POST", "posted"],
      ["PUT", "put"],
      ["PATCH", "patched"],
      ["DELETE", "deleted"],
    ]
  ) {
    const res = await handler(request("/item", { method }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
  }
  const any = await handler(request("/any", { method: "OPTIONS" }));
  expect(await any.text()).toBe("any OPTIONS");
});

Deno.test("app - params are decoded, Korean text included", async () => {
  const handler = newApp()
    .get("/rooms/:room/users/:name", (ctx) => Response.json(ctx.params))
    .handler();
  const res = await handler(request("/rooms/a%20b/users/%ED%95%9C"));
  expect(await res.json()).toEqual({ room: "a b", name: "한" });
});

Deno.test("app - a path asked again gets the same route and fresh params, whatever a handler did to them; a malformed one stays a 400", async () => {
  let exec = 0;
  const handler = newApp()
    .get("/rooms/:room", (ctx) => {
      const seen = { ...ctx.params };
      ctx.params.room = "changed";
      return Response.json(seen);
    })
    .get("/u/:name", () => new Response("ok"))
    .handler();
  // Lookups are remembered: the pattern runs once per path, not per request.
  const original = URLPattern.prototype.exec;
  URLPattern.prototype.exec = function (...args) {
    exec++;
    return original.apply(this, args);
  };
  try {
    for (let i = 0; i < 3; i++) {
      const res = await handler(request("/rooms/a%20b"));
      expect(await res.json()).toEqual({ room: "a b" });
    }
    const other = await handler(request("/rooms/c"));
    expect(await other.json()).toEqual({ room: "c" });
    expect(exec).toBe(2);
    for (let i = 0; i < 2; i++) {
      const bad = await handler(request("/u/%E0%A4%A"));
      expect(bad.status).toBe(400);
      await bad.body?.cancel();
    }
  } finally {
    URLPattern.prototype.exec = original;
  }
});

Deno.test("app - a malformed parameter is a 400 thrown where the route would run, so middleware answers it", async () => {
  let reached = false;
  const handler = newApp()
    .use(async (ctx) => {
      try {
        return await ctx.next();
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        return Response.json({ status, params: ctx.params }, { status });
      }
    })
    .get("/u/:name", () => {
      reached = true;
      return new Response("ok");
    })
    .handler();
  for (let i = 0; i < 2; i++) {
    const res = await handler(request("/u/%E0%A4%A"));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, params: {} });
  }
  expect(reached).toBe(false);
  // Without middleware to answer it, it is the error page's 400.
  const bare = newApp().get("/u/:name", () => new Response("ok")).handler();
  const res = await bare(request("/u/%ZZ"));
  expect(res.status).toBe(400);
  await res.body?.cancel();
});

Deno.test("app - a path without the method is a 405 skipping middleware; OPTIONS lists the methods", async () => {
  const handler = newApp()
    .get("/item", () => new Response("got"))
    .post("/item", () => new Response("posted"))
    .handler();
  const res = await handler(request("/item", { method: "DELETE" }));
  expect(res.status).toBe(405);
  expect(await res.text()).toBe("Method Not Allowed");
  const options = await handler(request("/item", { method: "OPTIONS" }));
  expect(options.status).toBe(204);
  expect(options.headers.get("allow")).toBe("GET, POST");
  const missing = await handler(request("/elsewhere", { method: "DELETE" }));
  expect(missing.status).toBe(404);
  await missing.body?.cancel();
});

Deno.test("app - HEAD runs the GET route and sends no body", async () => {
  let calls = 0;
  const handler = newApp()
    .get("/page", () => {
      calls++;
      return new Response("a body", { headers: { "x-page": "1" } });
    })
    .handler();
  const res = await handler(request("/page", { method: "HEAD" }));
  expect(res.status).toBe(200);
  expect(res.headers.get("x-page")).toBe("1");
  expect(res.body).toBeNull();
  expect(calls).toBe(1);
});

Deno.test("app - middleware runs in order around the route and passes state", async () => {
  const order: string[] = [];
  const handler = newApp<{ trail: string[] }>()
    .use(async function outer(ctx) {
      order.push("outer in");
      ctx.state.trail = ["outer"];
      const res = await ctx.next();
      order.push("outer out");
      return res;
    })
    .use(async function inner(ctx) {
      order.push("inner in");
      ctx.state.trail.push("inner");
      const res = await ctx.next();
      order.push("inner out");
      res.headers.set("x-inner", "1");
      return res;
    })
    .get("/", function route(ctx) {
      ctx.state.trail.push("route-mw");
      return ctx.next();
    }, (ctx) => {
      order.push("handler");
      return new Response(ctx.state.trail.join(">"));
    })
    .handler();
  const res = await handler(request("/"));
  expect(await res.text()).toBe("outer>inner>route-mw");
  expect(res.headers.get("x-inner")).toBe("1");
  expect(order).toEqual([
    "outer in",
    "inner in",
    "handler",
    "inner out",
    "outer out",
  ]);
});

Deno.test("app - ctx.next() runs the rest of the chain exactly once", async () => {
  let handled = 0;
  let seen = 0;
  const handler = newApp()
    .use((ctx) => ctx.next())
    .use(async (ctx) => {
      seen++;
      return await ctx.next();
    })
    .get("/", () => {
      handled++;
      return new Response("once");
    })
    .handler();
  const res = await handler(request("/"));
  expect(await res.text()).toBe("once");
  expect([seen, handled]).toEqual([1, 1]);
  const second = await handler(request("/"));
  await second.body?.cancel();
  expect([seen, handled]).toEqual([2, 2]);
});

Deno.test("app - middleware may answer without calling ctx.next()", async () => {
  let handled = false;
  const handler = newApp()
    .use(() => new Response("stopped", { status: 401 }))
    .get("/", () => {
      handled = true;
      return new Response("route");
    })
    .handler();
  const res = await handler(request("/"));
  expect(res.status).toBe(401);
  expect(await res.text()).toBe("stopped");
  expect(handled).toBe(false);
});

Deno.test("app - an HttpError becomes a response with its status", async () => {
  const handler = newApp()
    .get("/secret", () => {
      throw new HttpError(403, "Forbidden: members only");
    })
    .get("/teapot", () => {
      throw new HttpError(418);
    })
    .handler();
  const res = await handler(request("/secret"));
  expect(res.status).toBe(403);
  expect(await res.text()).toBe("Forbidden: members only");
  const teapot = await handler(request("/teapot"));
  expect(teapot.status).toBe(418);
  expect(await teapot.text()).toBe("I'm a teapot");
});

Deno.test("app - an error's response skips the app's middleware, as in Fresh", async () => {
  const handler = newApp()
    .use(async (ctx) => {
      const res = await ctx.next();
      res.headers.set("x-seen", "1");
      return res;
    })
    .get("/ok", (ctx) => ctx.text("ok"))
    .get("/fail", () => {
      throw new HttpError(404, "No such thing");
    })
    .handler();
  expect((await handler(request("/ok"))).headers.get("x-seen")).toBe("1");
  const fail = await handler(request("/fail"));
  expect(fail.status).toBe(404);
  expect(fail.headers.get("x-seen")).toBeNull();
  expect(await fail.text()).toBe("No such thing");
});

Deno.test("app - a thrown Error is a 500 that doesn't leak its message", async () => {
  await withErrorsCaptured(async (logged) => {
    const handler = newApp()
      .get("/boom", () => {
        throw new Error("database password is hunter2");
      })
      .handler();
    const res = await handler(request("/boom"));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("Internal server error");
    expect(body).not.toContain("hunter2");
    // The server log keeps the detail.
    expect(String(logged.flat().map(String))).toContain("hunter2");
  });
});

Deno.test("app - onError answers errors with ctx.error set", async () => {
  await withErrorsCaptured(async () => {
    const handler = newApp()
      .get("/boom", () => {
        throw new Error("Broken");
      })
      .get("/gone", () => {
        throw new HttpError(410, "Gone: long ago");
      })
      .onError((ctx) => {
        const error = ctx.error as Error;
        const status = error instanceof HttpError ? error.status : 503;
        return new Response(`handled ${error.message}`, { status });
      })
      .handler();
    const res = await handler(request("/boom"));
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("handled Broken");
    const gone = await handler(request("/gone"));
    expect(gone.status).toBe(410);
    expect(await gone.text()).toBe("handled Gone: long ago");
  });
});

Deno.test("app - notFound answers unmatched requests", async () => {
  const handler = newApp()
    .get("/", () => new Response("home"))
    .notFound((ctx) =>
      new Response(`No page at ${ctx.url.pathname}`, { status: 404 })
    )
    .onError(() => new Response("not this one", { status: 500 }))
    .handler();
  const res = await handler(request("/missing"));
  expect(res.status).toBe(404);
  expect(await res.text()).toBe("No page at /missing");
});

Deno.test("app - without notFound an unmatched request is a plain 404", async () => {
  const res = await newApp().handler()(request("/missing"));
  expect(res.status).toBe(404);
  expect(await res.text()).toBe("Not Found");
});

Deno.test("app - ctx.redirect defaults to 302 and keeps paths local", async () => {
  const handler = newApp()
    .get("/go", (ctx) => ctx.redirect(ctx.url.searchParams.get("to")!))
    .get("/moved", (ctx) => ctx.redirect("/new", 301))
    .handler();
  const go = async (to: string) => {
    const res = await handler(
      request(`/go?to=${encodeURIComponent(to)}`),
    );
    return { status: res.status, location: res.headers.get("location") };
  };
  expect(await go("/rooms/lobby?x=1")).toEqual({
    status: 302,
    location: "/rooms/lobby?x=1",
  });
  expect((await handler(request("/moved"))).status).toBe(301);
  expect((await handler(request("/moved"))).headers.get("location")).toBe(
    "/new",
  );
  for (
    const evil of [
      "//evil.com",
      "///evil.com",
      "/\\evil.com",
      "\\\\evil.com",
      "/\t/evil.com",
      "\t//evil.com",
      " //evil.com",
    ]
  ) {
    const { location } = await go(evil);
    // Resolved the way a browser would, the target stays on this origin.
    expect(new URL(location!, "http://localhost/").host).toBe("localhost");
  }
  expect((await go("//evil.com")).location).toBe("/evil.com");
});

Deno.test("app - ctx.render renders JSX with status and headers", async () => {
  const handler = newApp()
    .get(
      "/hello",
      (ctx) =>
        ctx.render(h("h1", { id: "title" }, "Hello") as VNode, {
          status: 201,
          headers: { "x-rendered": "yes" },
        }),
    )
    .handler();
  const res = await handler(request("/hello"));
  expect(res.status).toBe(201);
  expect(res.headers.get("x-rendered")).toBe("yes");
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await res.text();
  expect(html).toMatch(/^<!DOCTYPE html><html>/);
  expect(html).toContain('<h1 id="title">Hello</h1>');
  expect(html).not.toContain("<script");
});

/** Serves `app` on a free port; closes it after `fn`. */
async function serving(
  app: App,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    app.handler(),
  );
  try {
    await fn(`127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

/** Sends `text` over a new socket to `url` and returns the first reply. */
async function echo(url: string, text: string): Promise<string> {
  const ws = new WebSocket(url);
  const closed = new Promise((resolve) => ws.onclose = resolve);
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`Could not open ${url}`));
    });
    const reply = new Promise<string>((resolve) =>
      ws.onmessage = (e) => resolve(e.data)
    );
    ws.send(text);
    return await reply;
  } finally {
    ws.close();
    await closed;
  }
}

Deno.test("app - app.ws runs managed handlers over a real socket", async () => {
  const events: string[] = [];
  let closedOnServer!: () => void;
  const serverClosed = new Promise<void>((r) => closedOnServer = r);
  const app = newApp().ws("/echo", {
    open: () => events.push("open"),
    message: (socket, e) => socket.send(`echo: ${e.data}`),
    close: () => {
      events.push("close");
      closedOnServer();
    },
  });
  await serving(app, async (host) => {
    expect(await echo(`ws://${host}/echo`, "안녕")).toBe("echo: 안녕");
    await serverClosed;
  });
  expect(events).toEqual(["open", "close"]);
});

Deno.test("app - ctx.upgrade() bare gives the socket to the route", async () => {
  const app = newApp().get("/bare", (ctx: Context) => {
    const { socket, response } = ctx.upgrade();
    socket.onmessage = (e) => socket.send(`bare: ${e.data}`);
    return response;
  });
  await serving(app, async (host) => {
    expect(await echo(`ws://${host}/bare`, "ping")).toBe("bare: ping");
  });
});

Deno.test("app - a WebSocket route answers a plain request with 400", async () => {
  const handler = newApp().ws("/echo", { message: () => {} }).handler();
  const res = await handler(request("/echo"));
  expect(res.status).toBe(400);
  expect(await res.text()).toBe("Expected a WebSocket upgrade request");
});

Deno.test("app - parameters, groups, wildcards and modifiers match whatever literal text precedes them", async () => {
  const handler = newApp()
    .get("/books{/}?", () => new Response("books"))
    .get("/colo{u}?r", () => new Response("colour"))
    .get("/files/*", (ctx) => new Response(`file ${ctx.params[0]}`))
    .get("/u/:name", (ctx) => new Response(`user ${ctx.params.name}`))
    .get("/v:version(\\d+)/x", (ctx) => new Response(`v${ctx.params.version}`))
    .get("/ünï", () => new Response("encoded"))
    .handler();
  const text = async (path: string) => {
    const res = await handler(request(path));
    return res.status === 200 ? await res.text() : res.status;
  };
  expect(await text("/books")).toBe("books");
  expect(await text("/books/")).toBe("books");
  expect(await text("/color")).toBe("colour");
  expect(await text("/colour")).toBe("colour");
  expect(await text("/files/a/b")).toBe("file a/b");
  expect(await text("/u/mina")).toBe("user mina");
  expect(await text("/v12/x")).toBe("v12");
  expect(await text("/%C3%BCn%C3%AF")).toBe("encoded");
  expect(await text("/bookshelf")).toBe(404);
});
