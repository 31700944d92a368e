/**
 * Build-time tools: `new Builder().build()` builds the island modules into
 * `_fresh/` ahead of time (`deno task build`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { build, BUILD_DIR, type Manifest } from "./build.ts";
import { listFiles, scanRoutes } from "./fs_routes.ts";

/** Options of {@link Builder}. */
export interface BuilderOptions {
  /** The project folder (default: cwd). */
  root?: string;
}

/** Builds an app's browser assets. */
export class Builder {
  /** The project folder, absolute. */
  readonly root: string;

  /** Creates a builder for the project at `options.root`. */
  constructor(options: BuilderOptions = {}) {
    this.root = resolve(options.root ?? Deno.cwd());
  }

  /** Builds every island from scratch into `_fresh/`. */
  async build(): Promise<Manifest> {
    await Deno.remove(join(this.root, BUILD_DIR), { recursive: true }).catch(
      (e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      },
    );
    const islands = [
      ...await listFiles(join(this.root, "islands")),
      ...(await scanRoutes(join(this.root, "routes"))).islands,
    ];
    await Deno.mkdir(join(this.root, BUILD_DIR), { recursive: true });
    return await build(this.root, islands, { minify: true });
  }
}
