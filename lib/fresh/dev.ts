/**
 * Build-time tools, as `fresh/dev`: a {@link Builder} builds the browser
 * modules, writes `_fresh/server.js` for production and serves the app in
 * development.
 *
 * @example
 * ```ts
 * const builder = new Builder();
 * if (Deno.args.includes("build")) await builder.build();
 * else await builder.listen(() => import("./main.ts"));
 * ```
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { App, type ListenOptions, setBuildCache } from "./app.ts";
import { BUILD_DIR, ensureBuilt, type Manifest } from "./build.ts";
import { loadBuildCache } from "./build_cache.ts";
import { listFiles, scanRoutes } from "./fs_routes.ts";

/** Options of {@link Builder}. */
export interface BuildOptions {
  /** The project folder (default: cwd). */
  root?: string;
  /** The module exporting `app`, relative to `root` (default `main.ts`). */
  serverEntry?: string;
}

/** Builds an app's browser modules and its production entry. */
export class Builder<State = unknown> {
  /** The project folder, absolute. */
  readonly root: string;
  /** The module exporting `app`, absolute. */
  readonly serverEntry: string;

  /** Creates a builder for the project at `options.root`. */
  constructor(options: BuildOptions = {}) {
    this.root = resolve(options.root ?? Deno.cwd());
    this.serverEntry = resolve(this.root, options.serverEntry ?? "main.ts");
  }

  /**
   * Builds the island modules into `_fresh/` (reusing the last build when
   * its sources are unchanged), writes `_fresh/snapshot.js` and
   * `_fresh/server.js`, and returns a function that applies the build —
   * file routes, islands, static files — to an app. `snapshot` is Fresh's
   * option for tests (`"memory"`); this layer serves from disk either way.
   */
  async build(
    options: {
      mode?: "development" | "production";
      snapshot?: "disk" | "memory";
    } = {},
  ): Promise<(app: App<State>) => void> {
    const mode = options.mode ?? "production";
    const tree = await scanRoutes(join(this.root, "routes"));
    const islands = [
      ...await listFiles(join(this.root, "islands")),
      ...tree.islands,
    ];
    const manifest = islands.length === 0 ? null : await ensureBuilt(
      this.root,
      islands,
      { minify: mode === "production" },
    );
    await this.#writeEntries(manifest, [
      ...tree.routes.flatMap((r) => [r.file, ...r.middlewares, ...r.layouts]),
      ...tree.routes.flatMap((r) => [r.error, r.notFound]),
      tree.app,
      ...tree.root.middlewares,
      tree.root.error,
      tree.root.notFound,
      ...islands,
    ]);
    const cache = await loadBuildCache(this.root, manifest);
    if (mode === "production") {
      console.log(
        `Assets written to: ${relative(Deno.cwd(), out(this.root)) || "."}`,
      );
    }
    return (app) => setBuildCache(app, cache, mode);
  }

  /**
   * Serves the app `importApp` loads in development mode: builds unminified
   * modules, applies the build and listens (port 8000 unless given).
   */
  async listen(
    importApp: () => Promise<{ app: App<State> } | App<State>>,
    options: ListenOptions = {},
  ): Promise<void> {
    const apply = await this.build({ mode: "development" });
    const imported = await importApp();
    const app = imported instanceof App ? imported : imported.app;
    apply(app);
    await app.listen(options);
  }

  /** Writes `_fresh/snapshot.js` (every module, imported) and `server.js`. */
  async #writeEntries(
    manifest: Manifest | null,
    files: (string | undefined)[],
  ): Promise<void> {
    const out = join(this.root, BUILD_DIR);
    await Deno.mkdir(out, { recursive: true });
    const unique = [...new Set(files.filter((f) => f !== undefined))].sort();
    const spec = (file: string) => {
      const rel = relative(out, file).replaceAll("\\", "/");
      return JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`);
    };
    const snapshot = [
      WARNING,
      ...unique.map((f, i) => `import * as m${i} from ${spec(f)};`),
      `export const manifest = ${JSON.stringify(manifest)};`,
      "export const modules = {",
      ...unique.map((f, i) =>
        `  ${JSON.stringify(relative(this.root, f))}: m${i},`
      ),
      "};",
      "",
    ].join("\n");
    const server = [
      WARNING,
      'import { applySnapshot } from "fresh/internal";',
      'import * as snapshot from "./snapshot.js";',
      `import { app } from ${spec(this.serverEntry)};`,
      "",
      `await applySnapshot(app, new URL(${
        JSON.stringify(relative(out, this.root) + "/")
      }, import.meta.url), snapshot);`,
      "",
      "export default {",
      "  fetch: app.handler(),",
      "};",
      "",
    ].join("\n");
    await writeAtomically(join(out, "snapshot.js"), snapshot);
    await writeAtomically(join(out, "server.js"), server);
  }
}

const out = (root: string) => join(root, BUILD_DIR);

const WARNING = "// Written by `deno task build` (fresh/dev); do not edit.";

/** Replaces `path` in one step, so a process starting meanwhile reads either. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}
