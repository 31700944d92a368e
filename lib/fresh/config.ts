/**
 * The app's configuration: what `new App(config)` takes, and what it
 * resolves to as `app.config` and `ctx.config`.
 *
 * @module
 */

/** Options of `new App()`. */
export interface FreshConfig {
  /** Serve the app under this path prefix instead of `/` (default `""`). */
  basePath?: string;
  /** The mode the app runs in (default `"production"`). */
  mode?: "development" | "production";
  /**
   * Build `ctx.url` from `X-Forwarded-Proto` and `X-Forwarded-Host`; only
   * behind a proxy that sets them (default `false`).
   */
  trustProxy?: boolean;
}

/** The configuration with every default filled in. */
export interface ResolvedFreshConfig {
  /** The project folder; set when a build is applied to the app. */
  root: string;
  /** The path prefix the app is served under, `""` for none. */
  basePath: string;
  /** The mode the app runs in. */
  mode: "development" | "production";
  /** Whether `X-Forwarded-Proto`/`-Host` shape `ctx.url`. */
  trustProxy: boolean;
}
