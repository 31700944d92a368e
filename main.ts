/**
 * The app, Fresh's way: `main.ts` exports `app`, which `dev.ts` (through
 * `Builder`) and the built `_fresh/server.js` serve. The services it runs
 * on open on the first request, from the environment; `createApp` builds
 * the same app over services opened by the caller (tests, benchmarks).
 *
 * @module
 */
import { App, csp, staticFiles } from "fresh";
import { loadConfig } from "@/lib/server/config.ts";
import { openServices, type Services } from "@/lib/server/services.ts";
import { authMiddleware } from "@/lib/server/auth/middleware.ts";
import { CSP_DIRECTIVES } from "@/lib/server/http/security_headers.ts";
import { sameSiteForms } from "@/lib/server/auth/csrf.ts";
import { jsonErrors } from "@/lib/server/http/json_errors.ts";
import { storeOutagePages } from "@/lib/server/http/store_outage.tsx";
import { define, type State } from "./utils.ts";

/**
 * Builds the app over `services`: given, or a function opening them when
 * the first request arrives.
 */
export function createApp(
  services: Services | (() => Promise<Services>),
): App<State> {
  const ready = once(async () => {
    const s = typeof services === "function" ? await services() : services;
    return { ...s, authenticate: authMiddleware<State>(s.auth) };
  });
  return new App<State>()
    // Outermost: a page (or a session's lookup) that needs the store while
    // it is down is a 503 page, not a logged 500.
    .use(storeOutagePages())
    .use(define.middleware(async function withServices(ctx) {
      const s = await ready();
      ctx.state.chat = s.chat;
      ctx.state.connections = s.connections;
      ctx.state.searches = s.searches;
      return s.authenticate(ctx);
    }))
    .use(csp({ useNonce: true, csp: CSP_DIRECTIVES }))
    .use(staticFiles())
    .use(sameSiteForms())
    // Paths no route serves (`/api/rooms/`, with its trailing slash) reach
    // no folder's middleware: their 404 is JSON here, as the routes' is.
    .use("/api", jsonErrors({ notFound: (path) => `No API at ${path}` }))
    .use(
      "/ws",
      jsonErrors({ notFound: (path) => `No WebSocket endpoint at ${path}` }),
    )
    .fsRoutes();
}

/** The services of this process, opened from the environment once. */
export const services: () => Promise<Services> = once(() =>
  openServices(loadConfig(Deno.env.toObject()))
);

/** The app `deno task start` and `deno task dev` serve. */
export const app: App<State> = createApp(services);

function once<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => opened ??= open();
}
