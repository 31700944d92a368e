/**
 * Builds the browser modules for islands with esbuild: a boot module, one
 * module per island file and shared chunks (Preact among them), under
 * content-hashed names in `_fresh/js/`, with a manifest that says what was
 * built from what, so a start can tell when the build is stale.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";

/** The build folder, relative to the project root. */
export const BUILD_DIR = "_fresh";
/** Where built modules are served from. */
export const ASSET_PREFIX = "/_fresh/js/";

/** What a build produced. */
export interface Manifest {
  /** Island files (relative to the root) the build was made for. */
  islandFiles: string[];
  /** Every source file that went in (relative), for the staleness check. */
  inputs: string[];
  /** A hash over the inputs' contents. */
  hash: string;
  /** URL of the boot module. */
  boot: string;
  /** URL of each island file's module, by relative file path. */
  islands: Record<string, string>;
  /** Every built file name under {@link ASSET_PREFIX}. */
  files: string[];
}

const CLIENT_ENTRY = new URL("./client.ts", import.meta.url).pathname;

/** Reads the manifest of the last build, or `null`. */
export async function readManifest(root: string): Promise<Manifest | null> {
  try {
    const text = await Deno.readTextFile(
      join(root, BUILD_DIR, "manifest.json"),
    );
    return JSON.parse(text) as Manifest;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Whether `manifest` was built from exactly these island files and sources. */
export async function isFresh(
  root: string,
  manifest: Manifest | null,
  islandFiles: string[],
): Promise<boolean> {
  if (!manifest) return false;
  const wanted = islandFiles.map((f) => relative(root, f)).sort();
  if (wanted.join("\n") !== [...manifest.islandFiles].sort().join("\n")) {
    return false;
  }
  try {
    // Every output is still there, with its compressed copies.
    for (const name of manifest.files) {
      for (const suffix of ["", ".br", ".gz"]) {
        await Deno.stat(join(root, BUILD_DIR, "js", name + suffix));
      }
    }
    return (await hashInputs(root, manifest.inputs)) === manifest.hash;
  } catch {
    return false; // An input or an output went away.
  }
}

/** The current build for these islands: the last one if fresh, else a new one. */
export async function ensureBuilt(
  root: string,
  islandFiles: string[],
  options: { minify?: boolean } = {},
): Promise<Manifest> {
  const manifest = await readManifest(root);
  if (await isFresh(root, manifest, islandFiles)) return manifest!;
  return await build(root, islandFiles, options);
}

/**
 * Builds the island modules for `islandFiles` (absolute paths) and writes
 * the manifest. Safe to run from two processes at once: output names are
 * content hashes and the manifest is replaced atomically.
 */
export async function build(
  root: string,
  islandFiles: string[],
  options: { minify?: boolean } = {},
): Promise<Manifest> {
  const esbuild = await import("esbuild");
  const outdir = join(root, BUILD_DIR, "js");
  const entryPoints: Record<string, string> = { boot: CLIENT_ENTRY };
  for (const file of islandFiles) {
    entryPoints[`island-${entryName(root, file)}`] = file;
  }
  try {
    const result = await esbuild.build({
      entryPoints,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: ["es2022"],
      outdir,
      entryNames: "[name]-[hash]",
      chunkNames: "chunk-[hash]",
      minify: options.minify ?? true,
      jsx: "automatic",
      jsxImportSource: "preact",
      absWorkingDir: root,
      metafile: true,
      write: true,
      logLevel: "silent",
      plugins: [importMapPlugin(root) as unknown as import("esbuild").Plugin],
    });
    await precompress(
      Object.keys(result.metafile!.outputs).map((out) => resolve(root, out)),
    );
    const islands: Record<string, string> = {};
    const files: string[] = [];
    let boot = "";
    const inputs = new Set<string>();
    for (const [out, meta] of Object.entries(result.metafile!.outputs)) {
      const name = out.split("/").pop()!;
      files.push(name);
      for (const input of Object.keys(meta.inputs)) inputs.add(input);
      if (!meta.entryPoint) continue;
      const entry = resolve(root, meta.entryPoint);
      if (entry === CLIENT_ENTRY) boot = ASSET_PREFIX + name;
      else islands[relative(root, entry)] = ASSET_PREFIX + name;
    }
    const inputList = [...inputs].map((i) => relative(root, resolve(root, i)))
      .sort();
    const manifest: Manifest = {
      islandFiles: islandFiles.map((f) => relative(root, f)).sort(),
      inputs: inputList,
      hash: await hashInputs(root, inputList),
      boot,
      islands,
      files: files.sort(),
    };
    const path = join(root, BUILD_DIR, "manifest.json");
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2));
    await Deno.rename(tmp, path);
    return manifest;
  } finally {
    await esbuild.stop();
  }
}

/**
 * Writes `x.js.br` (brotli, quality 11) and `x.js.gz` (gzip -9) beside each
 * built file, so they are served compressed at no cost per request.
 */
async function precompress(files: string[]): Promise<void> {
  const zlib = await import("node:zlib");
  await Promise.all(files.map(async (file) => {
    const bytes = await Deno.readFile(file);
    const br = zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
      },
    });
    const gz = zlib.gzipSync(bytes, { level: 9 });
    await Deno.writeFile(`${file}.br`, br);
    await Deno.writeFile(`${file}.gz`, gz);
  }));
}

function entryName(root: string, file: string): string {
  return relative(root, file).replace(/\.[jt]sx?$/, "").replace(
    /[^A-Za-z0-9]+/g,
    "_",
  );
}

async function hashInputs(root: string, inputs: string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const input of inputs) {
    parts.push(enc.encode(`\0${input}\0`));
    parts.push(await Deno.readFile(resolve(root, input)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

interface PluginBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: ResolveArgs) => Promise<ResolveResult | undefined>,
  ): void;
  resolve(
    path: string,
    options: {
      kind: string;
      resolveDir: string;
      pluginData?: unknown;
      importer?: string;
    },
  ): Promise<{ path: string; errors: unknown[] }>;
}

interface ResolveArgs {
  path: string;
  kind: string;
  resolveDir: string;
  importer: string;
  pluginData?: unknown;
}

interface ResolveResult {
  path: string;
}

/**
 * The import map of the nearest `deno.json` at or above `root`, and the
 * folder its relative targets are resolved from; without one, an empty map
 * (plain node resolution only).
 */
function findImportMap(
  root: string,
): { imports: Record<string, string>; base: string } {
  for (let dir = root;; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = Deno.readTextFileSync(join(dir, "deno.json"));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (text !== undefined) {
      const config = JSON.parse(text) as { imports?: Record<string, string> };
      return { imports: config.imports ?? {}, base: dir };
    }
    if (dirname(dir) === dir) return { imports: {}, base: root };
  }
}

/** Resolves deno.json's import map and `npm:` specifiers for esbuild. */
function importMapPlugin(root: string) {
  const { imports, base } = findImportMap(root);
  const keys = Object.keys(imports).sort((a, b) => b.length - a.length);
  const SKIP = { skip: true };
  return {
    name: "deno-import-map",
    setup(build: PluginBuild) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === SKIP) return undefined;
        let target = args.path;
        const key = keys.find((k) =>
          k === target || (k.endsWith("/") && target.startsWith(k))
        );
        if (key) target = imports[key] + target.slice(key.length);
        if (/^\.\.?\//.test(target) && key) {
          return { path: resolve(base, target) };
        }
        if (target.startsWith("npm:")) target = npmToBare(target);
        else if (!key) return undefined;
        const found = await build.resolve(target, {
          kind: args.kind,
          resolveDir: root,
          importer: args.importer,
          pluginData: SKIP,
        });
        return found.errors.length ? undefined : { path: found.path };
      });
    },
  };
}

/** `npm:/@preact/signals@^2.1/x` → `@preact/signals/x`. */
function npmToBare(specifier: string): string {
  const s = specifier.slice(4).replace(/^\//, "");
  const m = /^(@[^/]+\/[^@/]+|[^@/]+)(?:@[^/]*)?(\/.*)?$/.exec(s);
  return m ? m[1] + (m[2] ?? "") : s;
}
