/**
 * A Fresh-2-compatible framework layer: the same API as `jsr:@fresh/core`
 * 2.3 for what this project uses, so routes and islands run on either.
 *
 * @module
 */
export { App, type ListenOptions, type RouteDef } from "./app.ts";
export type { FreshConfig, ResolvedFreshConfig } from "./config.ts";
export type { Context, RenderInit } from "./context.ts";
export { createDefine, type Define } from "./define.ts";
export { HttpError } from "./http_error.ts";
export { staticFiles } from "./middlewares/static_files.ts";
export { csp, type CSPOptions } from "./middlewares/csp.ts";
export { csrf, type CsrfOptions } from "./middlewares/csrf.ts";
export { cors, type CORSOptions } from "./middlewares/cors.ts";
export {
  type HandlerByMethod,
  type HandlerFn,
  type Method,
  type Middleware,
  page,
  type PageProps,
  type PageResponse,
  type RouteConfig,
  type RouteHandler,
  type WebSocketHandlers,
  type WebSocketUpgradeOptions,
} from "./types.ts";
export { SerializeError } from "./serialize.ts";
