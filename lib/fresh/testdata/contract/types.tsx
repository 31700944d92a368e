/**
 * Fresh 2.3's typed contracts, as app code uses them. Never run: the
 * contract test type-checks it (`deno check`), against this layer — and it
 * checks the same against Fresh's source when `fresh` is mapped there.
 * Each `@ts-expect-error` must stay an error, or the check fails.
 *
 * @module
 */
import {
  App,
  type Context,
  cors,
  createDefine,
  csp,
  csrf,
  type FreshConfig,
  HttpError,
  page,
  type ResolvedFreshConfig,
  staticFiles,
  type WebSocketUpgradeOptions,
} from "fresh";
import { asset, Head, IS_BROWSER, Partial } from "fresh/runtime";
import { Builder } from "fresh/dev";

interface State {
  user: string;
}
const define = createDefine<State>();

// define.page takes the handler's type and gets the data type from page().
export const handler = define.handlers({
  GET: () => page({ count: 1 }),
});
export const Page = define.page<typeof handler>(({ data, state }) => {
  const count: number = data.count;
  // @ts-expect-error The data type comes from the handler.
  const wrong: string = data.count;
  return <p>{count} {state.user} {wrong}</p>;
});

// define.layout takes no data type parameter.
export const Layout = define.layout(({ Component, state }) => (
  <main data-user={state.user}>
    <Head>
      <title>{IS_BROWSER ? "" : "Contract"}</title>
    </Head>
    <Partial name="body">
      <Component />
    </Partial>
    <img src={asset("/logo.svg")} />
  </main>
));

// Context is invariant in its state: helpers must be generic over it.
function takesUnknown(_ctx: Context<unknown>): void {}
function generic<S>(ctx: Context<S>): Response {
  return ctx.text("generic");
}
export const middleware = define.middleware((ctx) => {
  // @ts-expect-error Context<State> is not a Context<unknown>.
  takesUnknown(ctx);
  generic(ctx);
  return ctx.next();
});

// FreshConfig is { basePath, mode, trustProxy }; root is not an option.
const config: FreshConfig = {
  basePath: "",
  mode: "production",
  trustProxy: true,
};
// @ts-expect-error The project folder comes from the build, not the config.
const withRoot: FreshConfig = { root: "." };
const upgrade: WebSocketUpgradeOptions = { idleTimeout: 30, protocol: "v1" };

export const app: App<State> = new App<State>(config)
  .use(csp({ useNonce: true, csp: ["style-src 'self'"] }))
  .use(csrf({ origin: "https://example.com" }))
  .use("/api", cors({ origin: ["https://example.com"], maxAge: 600 }))
  .use(staticFiles())
  .appWrapper(Layout)
  .layout("/", Layout)
  .route("/page", {
    handler: { GET: () => page({ from: "route" }) },
    component: ({ data }) => <p>{String(data)}</p>,
  })
  .get("/text", (ctx) => ctx.text("text"))
  .get("/html", (ctx) => ctx.html("<p>html</p>"))
  .get("/json", (ctx) => ctx.json({ ok: true }))
  .get("/gone", () => {
    throw new HttpError(410, "Gone: moved away");
  })
  .get(
    "/ws",
    (ctx) => ctx.upgrade({ message: (s, e) => s.send(e.data) }, upgrade),
  )
  .fsRoutes();
const resolved: ResolvedFreshConfig = app.config;
export const root: string = resolved.root + String(withRoot);

// The run model: build() resolves to a function applying the build.
export async function applyBuild(): Promise<void> {
  const apply: (app: App<State>) => void = await new Builder<State>({
    root: ".",
  }).build({ snapshot: "memory" });
  apply(app);
}
