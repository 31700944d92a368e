/**
 * A Fresh-2-compatible framework layer: the same API as `jsr:@fresh/core`
 * for what this project uses, so routes and islands run on either.
 *
 * @module
 */
export { App, type AppOptions } from "./app.ts";
export { Context, type RenderInit, type ResolvedConfig } from "./context.ts";
export { createDefine, type Define } from "./define.ts";
export { HttpError } from "./http_error.ts";
export { staticFiles } from "./static_files.ts";
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
  type UpgradeOptions,
  type WebSocketHandlers,
} from "./types.ts";
export { SerializeError } from "./serialize.ts";
