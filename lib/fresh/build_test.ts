import { expect } from "expect";
import { join } from "node:path";
import { App } from "./app.ts";
import { built } from "./testdata/build.ts";
import { BUILD_DIR, ensureBuilt, type Manifest } from "./build.ts";
import type { BootState } from "./client.ts";
import { listFiles } from "./fs_routes.ts";
import { deserialize } from "./serialize.ts";
import { staticFiles } from "./middlewares/static_files.ts";
import { withErrorsCaptured } from "./testdata/capture.ts";

const FIXTURE = new URL("./testdata/fs_app", import.meta.url).pathname;
// Inside the repository, so esbuild finds its node_modules/ and deno.json.
const REPO = new URL("../../", import.meta.url).pathname;

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === BUILD_DIR) continue;
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory) await copyDir(src, dest);
    else await Deno.copyFile(src, dest);
  }
}

/** Runs `fn` on a fresh copy of the fixture project, never built. */
async function withProject(fn: (root: string) => Promise<void>) {
  const root = join(REPO, `.test-tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await copyDir(FIXTURE, root);
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const islandFiles = (root: string) => listFiles(join(root, "islands"));

async function builtFiles(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const e of Deno.readDir(join(root, BUILD_DIR, "js"))) {
    const info = await Deno.stat(join(root, BUILD_DIR, "js", e.name));
    out[e.name] = info.mtime!.getTime();
  }
  return out;
}

Deno.test("build - hashed modules and a manifest; unchanged sources aren't rebuilt", async () => {
  await withProject(async (root) => {
    const manifest = await ensureBuilt(root, await islandFiles(root));
    expect(manifest.boot).toMatch(/^\/_fresh\/js\/boot-[A-Z0-9]{8}\.js$/);
    expect(Object.keys(manifest.islands).sort()).toEqual([
      "islands/Counter.tsx",
      "islands/Echo.tsx",
      "islands/SharedCount.tsx",
      "islands/TypeProbe.tsx",
    ]);
    expect(manifest.islands["islands/Counter.tsx"]).toMatch(
      /^\/_fresh\/js\/island-islands_Counter-[A-Z0-9]{8}\.js$/,
    );
    expect(manifest.inputs).toContain("islands/Counter.tsx");
    expect(manifest.inputs).toContain("../lib/fresh/client.ts");
    // Preact is bundled from the repository's node_modules/.
    expect(manifest.inputs.some((i) => i.includes("preact.module.js"))).toBe(
      true,
    );
    const files = await builtFiles(root);
    // Each module has its brotli and gzip copies beside it.
    expect(Object.keys(files).sort()).toEqual(
      manifest.files.flatMap((f) => [f, `${f}.br`, `${f}.gz`]).sort(),
    );
    expect(manifest.files.some((f) => f.startsWith("chunk-"))).toBe(true);
    const saved = JSON.parse(
      await Deno.readTextFile(join(root, BUILD_DIR, "manifest.json")),
    ) as Manifest;
    expect(saved).toEqual(manifest);

    const manifestPath = join(root, BUILD_DIR, "manifest.json");
    const before = (await Deno.stat(manifestPath)).mtime!.getTime();
    const again = await ensureBuilt(root, await islandFiles(root));
    expect(again).toEqual(manifest);
    expect((await Deno.stat(manifestPath)).mtime!.getTime()).toBe(before);
    expect(await builtFiles(root)).toEqual(files);
  });
});

Deno.test("build - editing an island makes the build stale and changes its URL", async () => {
  await withProject(async (root) => {
    const first = await ensureBuilt(root, await islandFiles(root));
    const counter = join(root, "islands/Counter.tsx");
    await Deno.writeTextFile(
      counter,
      (await Deno.readTextFile(counter)).replace("Add", "Add one"),
    );
    const second = await ensureBuilt(root, await islandFiles(root));
    expect(second.hash).not.toBe(first.hash);
    expect(second.islands["islands/Counter.tsx"]).not.toBe(
      first.islands["islands/Counter.tsx"],
    );
    expect(second.islands["islands/Echo.tsx"]).toBe(
      first.islands["islands/Echo.tsx"],
    );
    const built = await Deno.readTextFile(
      join(root, second.islands["islands/Counter.tsx"].slice(1)),
    );
    expect(built).toContain("Add one");

    // A new island file is a change too.
    await Deno.writeTextFile(
      join(root, "islands/Extra.tsx"),
      "export default function Extra() {\n  return <b>extra</b>;\n}\n",
    );
    const third = await ensureBuilt(root, await islandFiles(root));
    expect(third.islands["islands/Extra.tsx"]).toMatch(/island-islands_Extra-/);
  });
});

Deno.test("build - only pages with islands get the nonce'd boot script and modulepreload", async () => {
  await withProject(async (root) => {
    const handler = (await built(new App().use(staticFiles()).fsRoutes(), root))
      .handler();
    const get = (path: string) => handler(new Request(`http://x${path}`));

    for (const path of ["/", "/about", "/admin", "/no/such/page"]) {
      const res = await get(path);
      const page = await res.text();
      expect([path, page.includes("<script")]).toEqual([path, false]);
      expect(res.headers.get("link")).toBeNull();
    }

    const res = await get("/islands");
    const page = await res.text();
    const scripts = page.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toBe(
      '<script id="__FRSH_STATE" type="application/json">',
    );
    // As in Fresh: an inline module script with a per-response nonce boots
    // the islands, and a Link header preloads the modules.
    const nonce = /^<script type="module" nonce="([0-9a-f]{32})">$/.exec(
      scripts[1],
    )?.[1];
    expect(nonce).toBeDefined();
    expect(page).toMatch(
      /import \{ boot \} from "\/_fresh\/js\/boot-[A-Z0-9]+\.js";boot\(\);/,
    );
    const again = await (await get("/islands")).text();
    expect(again).not.toContain(nonce);
    const link = res.headers.get("link") ?? "";
    expect(link).toMatch(
      /^<\/_fresh\/js\/boot-[A-Z0-9]+\.js>; rel="modulepreload"; as="script", /,
    );
    expect(page).not.toMatch(/\son[a-z]+=/i); // No inline event handlers.
    for (let i = 0; i < 4; i++) {
      expect(page).toContain(`<!--frsh:${i}-->`);
      expect(page).toContain(`<!--/frsh:${i}-->`);
    }

    const json =
      /<script id="__FRSH_STATE" type="application\/json">(.*?)<\/script>/
        .exec(page)![1];
    const state = JSON.parse(json) as BootState;
    expect(state.islands.map((i) => i.u.split("-")[1])).toEqual([
      "islands_Counter",
      "islands_SharedCount",
      "islands_SharedCount",
      "islands_TypeProbe",
    ]);
    const props = deserialize(state.props) as Record<string, unknown>[];
    expect(props[0]).toEqual({ start: 3 });
    expect(props[1].count).toBe(props[2].count);
    expect(props[3].date).toEqual(new Date("2024-05-06T07:08:09.000Z"));

    for (const url of new Set(state.islands.map((i) => i.u))) {
      const res = await get(url);
      expect([url, res.status]).toEqual([url, 200]);
      expect(res.headers.get("cache-control")).toContain("immutable");
      await res.body?.cancel();
    }
  });
});

Deno.test("build - a function prop is a 500 whose log names the island and prop", async () => {
  await withProject(async (root) => {
    const handler = (await built(new App().fsRoutes(), root)).handler();
    await withErrorsCaptured(async (logged) => {
      const res = await handler(new Request("http://x/bad_prop"));
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(body).not.toContain("<script");
      const log = logged.flat().map((x) => x instanceof Error ? x.message : x)
        .join(" ");
      expect(log).toContain(
        'Island "Echo": prop "value" is a function',
      );
    });
  });
});
