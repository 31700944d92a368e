import { expect } from "expect";
import { join } from "node:path";
import { App } from "./app.ts";
import { built } from "./testdata/build.ts";
import { scanRoutes, toPattern } from "./fs_routes.ts";
import { staticFiles } from "./middlewares/static_files.ts";
import { withErrorsCaptured } from "./testdata/capture.ts";

const FIXTURE = new URL("./testdata/fs_app", import.meta.url).pathname;

let fixtureHandler: Promise<ReturnType<App["handler"]>> | undefined;

/** Requests `path` from the fixture app, built once for every test. */
async function fetchFixture(
  path: string,
  init?: RequestInit,
): Promise<Response> {
  fixtureHandler ??= built(new App().use(staticFiles()).fsRoutes(), FIXTURE)
    .then((app) => app.handler());
  return (await fixtureHandler)(new Request(`http://localhost${path}`, init));
}

async function html(path: string): Promise<string> {
  const res = await fetchFixture(path);
  expect(res.status).toBe(200);
  return await res.text();
}

Deno.test("fs_routes - toPattern maps file paths to URL patterns", () => {
  expect(toPattern("index")).toBe("/");
  expect(toPattern("about")).toBe("/about");
  expect(toPattern("blog/index")).toBe("/blog");
  expect(toPattern("blog/[slug]")).toBe("/blog/:slug");
  expect(toPattern("blog/[slug]/index")).toBe("/blog/:slug");
  expect(toPattern("rooms/[room_id]/[username]")).toBe(
    "/rooms/:room_id/:username",
  );
  expect(toPattern("files/[...path]")).toBe("/files/:path*");
  expect(toPattern("docs/[[lang]]")).toBe("/docs{/:lang}?");
  expect(toPattern("docs/[[lang]]/intro")).toBe("/docs{/:lang}?/intro");
  expect(toPattern("(marketing)/pricing")).toBe("/pricing");
  expect(toPattern("(a)/(b)/index")).toBe("/");
  expect(toPattern("shop/[a]-[b]")).toBe("/shop/:a-:b");
  expect(toPattern("feed/[id].json")).toBe("/feed/:id.json");
  expect(toPattern("a:b(c)")).toBe("/a\\:b\\(c\\)");
});

Deno.test("fs_routes - a literal after a parameter doesn't join its name", () => {
  const pattern = new URLPattern({ pathname: toPattern("v/[id]x") });
  expect(pattern.exec({ pathname: "/v/7x" })?.pathname.groups).toEqual({
    id: "7",
  });
  expect(pattern.exec({ pathname: "/v/7" })).toBeNull();
});

Deno.test("fs_routes - routes are ordered static, param, optional, rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = [
      "index.tsx",
      "about.tsx",
      "[slug].tsx",
      "blog/[[page]].tsx",
      "blog/[...rest].tsx",
      "blog/[slug].tsx",
      "docs/index.tsx",
      "docs/[...rest].tsx",
      "blog/latest.tsx",
      "blog/_layout.tsx",
      "blog/latest_test.ts",
      "(group)/team.tsx",
      "(_components)/Card.tsx",
      "(_islands)/Like.tsx",
      "README.md",
    ];
    for (const file of files) {
      await Deno.mkdir(join(dir, file, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, file), "");
    }
    const tree = await scanRoutes(dir);
    const patterns = tree.routes.map((r) => r.pattern);
    expect([...patterns].sort()).toEqual([
      "/",
      "/:slug",
      "/about",
      "/blog/:rest*",
      "/blog/:slug",
      "/blog/latest",
      "/blog{/:page}?",
      "/docs",
      "/docs/:rest*",
      "/team",
    ]);
    const at = (p: string) => patterns.indexOf(p);
    expect(at("/blog/latest")).toBeLessThan(at("/blog/:slug"));
    expect(at("/blog/:slug")).toBeLessThan(at("/blog{/:page}?"));
    expect(at("/blog{/:page}?")).toBeLessThan(at("/blog/:rest*"));
    expect(at("/about")).toBeLessThan(at("/:slug"));
    // An index comes before the catch-all beside it, which matches it too.
    expect(at("/docs")).toBeLessThan(at("/docs/:rest*"));
    expect(at("/blog/latest")).toBeLessThan(at("/:slug"));
    expect(tree.islands).toEqual([join(dir, "(_islands)/Like.tsx")]);
    const latest = tree.routes.find((r) => r.pattern === "/blog/latest")!;
    expect(latest.layouts).toEqual([join(dir, "blog/_layout.tsx")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fs_routes - index renders in _app after the root middleware", async () => {
  const res = await fetchFixture("/");
  expect(res.status).toBe(200);
  expect(res.headers.get("x-root-middleware")).toBe("1");
  const page = await res.text();
  expect(page).toContain('<body data-app="fs_app">');
  expect(page).toContain('<h1 id="home">Home after root</h1>');
});

Deno.test("fs_routes - [param] is decoded", async () => {
  expect(await html("/users/%ED%95%9C")).toContain('<p id="user">User 한</p>');
  expect(await html("/users/a%20b")).toContain('<p id="user">User a b</p>');
});

Deno.test("fs_routes - [...rest] takes the rest of the path, or nothing", async () => {
  expect(await html("/files/a/b/c.txt")).toContain(
    '<p id="file">File a/b/c.txt</p>',
  );
  expect(await html("/files")).toContain('<p id="file">File (none)</p>');
});

Deno.test("fs_routes - [[optional]] matches with and without its segment", async () => {
  expect(await html("/docs")).toContain('<p id="docs">Docs in default</p>');
  expect(await html("/docs/ko")).toContain('<p id="docs">Docs in ko</p>');
  expect((await fetchFixture("/docs/ko/more")).status).toBe(404);
});

Deno.test("fs_routes - a (group) adds no segment and has its own layout and middleware", async () => {
  const pricing = await html("/pricing");
  expect(pricing).toContain(
    '<div id="marketing-layout"><p id="pricing">Pricing after root>marketing</p></div>',
  );
  expect(pricing).toContain('<body data-app="fs_app">');
  expect(await html("/about")).not.toContain("marketing-layout");
  expect((await fetchFixture("/marketing/pricing")).status).toBe(404);
});

Deno.test("fs_routes - skipAppWrapper and skipInheritedLayouts drop _app and layouts", async () => {
  const bare = await html("/bare");
  expect(bare).toContain('<p id="bare">Bare</p>');
  expect(bare).not.toContain("data-app");
  expect(bare).not.toContain("marketing-layout");
});

Deno.test("fs_routes - nested _middleware arrays run in order; state reaches the page", async () => {
  const res = await fetchFixture("/admin?name=Kim");
  expect(res.status).toBe(201);
  expect(res.headers.get("x-admin")).toBe("yes");
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const page = await res.text();
  expect(page).toContain('<p id="greeting">Hello Kim</p>');
  expect(page).toContain('<p id="path">/admin</p>');
  expect(page).toContain('<p id="params">{}</p>');
  expect(page).toContain('<p id="trail">root>admin-1>admin-2</p>');
});

Deno.test("fs_routes - a handler object answers its methods, else a 404 rendered by _404", async () => {
  // As Fresh 2.3 does: a file route without the method is not found.
  const post = await fetchFixture("/admin", { method: "POST" });
  expect(post.status).toBe(202);
  expect(await post.text()).toBe("Posted");
  const del = await fetchFixture("/admin", { method: "DELETE" });
  expect(del.status).toBe(404);
  expect(await del.text()).toContain("Nothing at /admin");
  const options = await fetchFixture("/admin", { method: "OPTIONS" });
  expect(options.status).toBe(404);
  await options.body?.cancel();
  const onlyGet = await fetchFixture("/api/only_get", { method: "POST" });
  expect(onlyGet.status).toBe(404);
  await onlyGet.body?.cancel();
  const pageOnly = await fetchFixture("/", { method: "PUT" });
  expect(pageOnly.status).toBe(404);
  await pageOnly.body?.cancel();
});

Deno.test("fs_routes - a handler function answers every method", async () => {
  for (const method of ["GET", "POST", "DELETE"]) {
    const res = await fetchFixture("/api/echo", { method });
    expect(await res.text()).toBe(`${method} root`);
  }
});

Deno.test("fs_routes - HEAD gets the GET status and headers without a body", async () => {
  const page = await fetchFixture("/admin", { method: "HEAD" });
  expect(page.status).toBe(201);
  expect(page.headers.get("x-admin")).toBe("yes");
  expect(page.body).toBeNull();
  const api = await fetchFixture("/api/only_get", { method: "HEAD" });
  expect(api.status).toBe(200);
  expect(api.headers.get("x-only")).toBe("get");
  expect(api.body).toBeNull();
});

Deno.test("fs_routes - _error gets the HttpError and its status", async () => {
  const res = await fetchFixture("/forbidden");
  expect(res.status).toBe(403);
  const page = await res.text();
  expect(page).toContain('<p id="error">Error 403: Forbidden: no entry</p>');
  expect(page).toContain('<body data-app="fs_app">');
});

Deno.test("fs_routes - _error answers a thrown error with 500", async () => {
  await withErrorsCaptured(async (logged) => {
    const res = await fetchFixture("/bad_prop");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('<p id="error">Error 500: Oops</p>');
    expect(logged.length).toBeGreaterThan(0);
  });
});

Deno.test("fs_routes - _404 answers unmatched URLs with 404", async () => {
  const res = await fetchFixture("/no/such/page");
  expect(res.status).toBe(404);
  const page = await res.text();
  expect(page).toContain('<h1 id="not-found">Nothing at /no/such/page</h1>');
  expect(page).toContain('<body data-app="fs_app">');
});

Deno.test("fs_routes - routeOverride replaces the file's pattern", async () => {
  expect(await html("/old/thing-1")).toContain(
    '<p id="legacy">Legacy thing-1</p>',
  );
  expect((await fetchFixture("/legacy")).status).toBe(404);
});

Deno.test("fs_routes - (_components) and _test files are not routes", async () => {
  expect((await fetchFixture("/Widget")).status).toBe(404);
  expect((await fetchFixture("/(_components)/Widget")).status).toBe(404);
  expect((await fetchFixture("/about_test")).status).toBe(404);
  // A component from (_components) still renders where it is imported.
  expect(await html("/islands")).toContain('<span id="widget">Widget</span>');
});

Deno.test("fs_routes - static files are served before the routes", async () => {
  const res = await fetchFixture("/styles.css");
  expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
  expect(await res.text()).toContain("color: red");
});
