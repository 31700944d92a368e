/**
 * The framework layer (`lib/fresh`) against Fresh 2.3's contracts: its
 * types (checked by `deno check`), the run model (`Builder.build()` returns
 * the function applying the build cache; `_fresh/server.js` imports `app`
 * from `main.ts`), and islands booting from a nonce'd inline script under
 * `csp({ useNonce: true })` in Chromium.
 */
import { expect } from "expect";
import { join } from "node:path";
import { toFileUrl } from "@/lib/fresh/path.ts";
import { App, csp, staticFiles } from "fresh";
import { Builder } from "fresh/dev";
import { built } from "@/lib/fresh/testdata/build.ts";
import { BROWSER_TEST, launchBrowser } from "@/tests/helpers/browser.ts";

const REPO = new URL("../", import.meta.url).pathname;
const FIXTURE = join(REPO, "lib/fresh/testdata/fs_app");

Deno.test("fresh contract - the app-facing types check as Fresh's do", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "lib/fresh/testdata/contract/types.tsx"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  expect([out.code, text.includes("ERROR")]).toEqual([0, false]);
});

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === "_fresh") continue;
    const src = join(from, entry.name);
    if (entry.isDirectory) await copyDir(src, join(to, entry.name));
    else await Deno.copyFile(src, join(to, entry.name));
  }
}

Deno.test("fresh contract - build() applies the build cache; _fresh/server.js serves main.ts's app", async () => {
  // Inside the repository, so "fresh" resolves through its deno.json.
  const root = join(REPO, `.test-tmp-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await copyDir(FIXTURE, root);
    await Deno.writeTextFile(
      join(root, "main.ts"),
      'import { App, staticFiles } from "fresh";\n' +
        "export const app = new App().use(staticFiles()).fsRoutes();\n",
    );
    const unbuilt = new App().fsRoutes().handler();
    const before = await unbuilt(new Request("http://x/about"));
    await before.body?.cancel();
    expect(before.status).toBe(404); // No build applied: no file routes.

    const apply = await new Builder({ root }).build();
    expect(typeof apply).toBe("function");
    const app = new App().fsRoutes();
    apply(app);
    const res = await app.handler()(new Request("http://x/about"));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="about"');

    const server = await Deno.readTextFile(join(root, "_fresh/server.js"));
    expect(server).toContain('import { app } from "../main.ts";');
    const built = await import(toFileUrl(join(root, "_fresh/server.js")).href);
    const viaServer = await built.default.fetch(new Request("http://x/about"));
    expect(viaServer.status).toBe(200);
    await viaServer.body?.cancel();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(
  "fresh contract - islands boot from a nonce'd inline script under csp({ useNonce })",
  BROWSER_TEST,
  async () => {
    const app = await built(
      new App().use(csp({ useNonce: true })).use(staticFiles()).fsRoutes(),
      FIXTURE,
    );
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      app.handler(),
    );
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      const res = await page.goto(
        `http://127.0.0.1:${server.addr.port}/islands`,
      );
      const policy = (await res!.allHeaders())["content-security-policy"];
      const nonce = /script-src 'self' 'nonce-([0-9a-f]{32})'/.exec(policy)
        ?.[1];
      expect(nonce).toBeDefined();
      expect(await page.$$(`script[type=module][nonce]`)).toHaveLength(1);
      // The Counter's button is enabled by hydration, so this waits for it.
      await page.click("#counter-add:not([disabled])", { timeout: 10_000 });
      await page.waitForFunction(
        () => document.querySelector("#counter-value")?.textContent === "4",
        undefined,
        { timeout: 5000 },
      );
      // A script without the nonce is refused: the policy is in force.
      await page.addScriptTag({ content: "window.__ran = true" }).catch(
        () => {},
      );
      expect(await page.evaluate(() => "__ran" in window)).toBe(false);
      expect(errors.filter((e) => !/Content Security Policy/.test(e)))
        .toEqual([]);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
);
