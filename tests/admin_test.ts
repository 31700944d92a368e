/**
 * Admin roles belong to accounts: `ADMIN_USERS` never makes a moderator of
 * someone who registers a listed name later, and `deno task admin` grants
 * and revokes the role on existing accounts only.
 */
import { expect } from "expect";
import { type Server, withServer } from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";

const PASSWORD = "correct horse battery staple";

/** Runs `deno task admin ...` as a child process on the server's KV file. */
async function adminTask(
  s: Server,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const root = new URL("../", import.meta.url).pathname;
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "admin", ...args],
    cwd: root,
    env: { KV_PATH: s.chat.config.kvPath },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(res.stdout) +
    new TextDecoder().decode(res.stderr);
  return { code: res.code, out };
}

/** An account's socket (registered first unless `existing`), joined to general. */
async function account(
  s: Server,
  name: string,
  existing = false,
): Promise<Client> {
  if (!existing) await s.auth.accounts.register(name, PASSWORD);
  const session = await s.auth.sessions.create(name);
  const c = new Client(`${s.url.replace("http", "ws")}/ws`, {
    headers: { cookie: `sid=${session.id}` },
  });
  await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return c;
}

/** Whether `mod` may delete a guest's fresh message in general. */
async function canDelete(s: Server, mod: Client): Promise<boolean> {
  const guest = new Client(`${s.url.replace("http", "ws")}/ws?name=gus`);
  await guest.next("welcome");
  guest.send({ type: "join", room: "general" });
  await guest.next("joined");
  const clientId = crypto.randomUUID();
  guest.send({ type: "send", room: "general", text: "spam", clientId });
  const id = (await guest.next("ack", (f) => f.clientId === clientId)).id;
  mod.send({ type: "delete", room: "general", id });
  const answer = await mod.until(() =>
    mod.frames.find((f): f is Frame =>
      typeof f === "object" &&
      ((f.type === "deleted" && f.id === id) ||
        (f.type === "error" &&
          (f.frame as { type?: string })?.type === "delete"))
    )
  );
  await guest.close();
  mod.frames.length = 0;
  return answer.type === "deleted";
}

Deno.test("admin - a name in ADMIN_USERS registered after start is no admin", async () => {
  await withServer({ ADMIN_USERS: "root" }, async (s) => {
    const squatter = await account(s, "root");
    expect(await canDelete(s, squatter)).toBe(false);
    await squatter.close();
  }, { kvFile: true });
});

Deno.test("admin - ADMIN_USERS binds to an account that existed when first listed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { KV_PATH: `${dir}/chat.kv` };
    await withServer(env, async (s) => {
      await s.auth.accounts.register("root", PASSWORD);
    });
    await withServer({ ...env, ADMIN_USERS: "root,later" }, async (s) => {
      await (await account(s, "later")).close();
      const root = await account(s, "root", true);
      expect(await canDelete(s, root)).toBe(true);
      await root.close();
    });
    // "later" registered after its name was listed: a restart does not bind it.
    await withServer({ ...env, ADMIN_USERS: "root,later" }, async (s) => {
      expect(await s.auth.roles.isAdmin("root")).toBe(true);
      expect(await s.auth.roles.isAdmin("later")).toBe(false);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin - the admin task grants and revokes existing accounts only", async () => {
  await withServer({}, async (s) => {
    const nobody = await adminTask(s, "grant", "nobody");
    expect(nobody.code).toBe(1);
    expect(nobody.out).toContain("No account named nobody");
    expect((await adminTask(s, "grant")).code).toBe(2);

    const mod = await account(s, "Mod");
    expect(await canDelete(s, mod)).toBe(false);
    const granted = await adminTask(s, "grant", "mod");
    expect(granted).toEqual({ code: 0, out: "Mod is an admin\n" });
    expect((await adminTask(s, "list")).out).toBe("Mod\n");
    expect(await canDelete(s, mod)).toBe(true);
    expect((await adminTask(s, "revoke", "Mod")).code).toBe(0);
    expect(await canDelete(s, mod)).toBe(false);
    await mod.close();
  }, { kvFile: true });
});
