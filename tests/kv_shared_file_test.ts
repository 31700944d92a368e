/**
 * Two processes on one Deno KV file (instances sharing it on one host): a
 * write that finds the file locked by the other waits its turn instead of
 * failing, so a name is held by one of them only and edits go through.
 */
import { expect } from "expect";
import { KvNameClaims } from "@/lib/server/chat/name_claims.ts";

const NAMES = 1000;

/** Claims n0… as `holder`, 5 at a time; the names it was granted. */
const claimScript = (path: string, holder: string) => `
  import { KvNameClaims } from "${
  new URL("../lib/server/chat/name_claims.ts", import.meta.url).href
}";
  const kv = await Deno.openKv(${JSON.stringify(path)});
  const claims = new KvNameClaims(kv);
  const granted = [];
  for (let i = 0; i < ${NAMES}; i += 5) {
    const names = Array.from({ length: 5 }, (_, j) => "n" + (i + j));
    const ok = await Promise.all(names.map((n) => claims.claim(n, "${holder}", 60000)));
    names.forEach((n, j) => ok[j] && granted.push(n));
  }
  console.log(JSON.stringify(granted));
  kv.close();
`;

Deno.test("kv shared file - names claimed at once from four processes are each held by one, none lost to a locked file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kv-shared-" });
  const path = `${dir}/chat.kv`;
  try {
    // Both processes write at once, many times over.
    const run = (holder: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--unstable-kv", claimScript(path, holder)],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outs = await Promise.all(["a", "b", "c", "d"].map(run));
    const granted = outs.map((o) => {
      expect(new TextDecoder().decode(o.stderr)).toBe("");
      return JSON.parse(new TextDecoder().decode(o.stdout)) as string[];
    });
    const all = granted.flat();
    // Every name went to exactly one of them.
    expect(all.length).toBe(NAMES);
    expect(new Set(all).size).toBe(NAMES);
    // And the file agrees.
    const kv = await Deno.openKv(path);
    try {
      const claims = new KvNameClaims(kv);
      for (const n of ["n0", `n${NAMES - 1}`]) {
        await expect(claims.isHeld(n)).resolves.toBe(true);
      }
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
