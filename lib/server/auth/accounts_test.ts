import { expect } from "expect";
import {
  AccountError,
  accountKey,
  Accounts,
  hashPassword,
  verifyPassword,
} from "./accounts.ts";
import { KvAccounts } from "@/lib/server/store/kv_records.ts";
import { nameKey } from "@/lib/server/chat/name_skeleton.ts";

const PASSWORD = "correct horse battery staple";

async function withAccounts(
  fn: (accounts: Accounts, kv: Deno.Kv) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(new Accounts(new KvAccounts(kv)), kv);
  } finally {
    kv.close();
  }
}

Deno.test("accounts - only a salted scrypt hash of the password is stored", async () => {
  await withAccounts(async (accounts, kv) => {
    await accounts.register("Alice", PASSWORD);
    const raw = await kv.get(["accounts", accountKey("alice")]);
    const text = JSON.stringify(raw.value);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(btoa(PASSWORD));
    expect(text).not.toContain(new TextEncoder().encode(PASSWORD).toString());
    const hash = (raw.value as { passwordHash: string }).passwordHash;
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    const entries = await Array.fromAsync(kv.list({ prefix: [] }));
    expect(entries.map((e) => e.key)).toEqual([
      ["account_skeletons", nameKey("alice")],
      ["accounts", "alice"],
    ]);
    expect(JSON.stringify(entries)).not.toContain(PASSWORD);
  });
});

Deno.test("accounts - the right password verifies, a wrong one and an unknown name don't", async () => {
  await withAccounts(async (accounts) => {
    await accounts.register("Alice", PASSWORD);
    expect((await accounts.verify("Alice", PASSWORD))?.name).toBe("Alice");
    expect((await accounts.verify("alice", PASSWORD))?.name).toBe("Alice");
    expect(await accounts.verify("Alice", PASSWORD + " ")).toBeNull();
    expect(await accounts.verify("Alice", "")).toBeNull();
    expect(await accounts.verify("bob", PASSWORD)).toBeNull();
    expect(await accounts.verify("<bad name>", PASSWORD)).toBeNull();
    expect(await accounts.verify("Alice", "x".repeat(100_000))).toBeNull();
  });
});

Deno.test("accounts - the same password gets a different salt and hash each time", async () => {
  const a = await hashPassword(PASSWORD);
  const b = await hashPassword(PASSWORD);
  expect(a).not.toBe(b);
  expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
  expect(await verifyPassword(PASSWORD, a)).toBe(true);
  expect(await verifyPassword(PASSWORD, b)).toBe(true);
  expect(await verifyPassword("wrong", a)).toBe(false);
  expect(await verifyPassword(PASSWORD, "plain")).toBe(false);
  expect(await verifyPassword(PASSWORD, "scrypt$9999999999$8$1$aa$bb")).toBe(
    false,
  );
});

Deno.test("accounts - names are unique regardless of case and follow the guest rule", async () => {
  await withAccounts(async (accounts) => {
    await accounts.register("Mina", PASSWORD);
    await expect(accounts.register("mina", PASSWORD)).rejects.toThrow(
      "Username taken",
    );
    await expect(accounts.register("MINA", PASSWORD)).rejects.toBeInstanceOf(
      AccountError,
    );
    await expect(accounts.register("a b", PASSWORD)).rejects.toThrow(
      "Invalid username",
    );
    await expect(accounts.register("x".repeat(25), PASSWORD)).rejects.toThrow(
      "Invalid username",
    );
    await expect(accounts.register("<img>", PASSWORD)).rejects.toThrow(
      "Invalid username",
    );
    await expect(accounts.register("short", "1234567")).rejects.toThrow(
      "Password too short",
    );
    expect((await accounts.register("Łucja_2.0", PASSWORD)).name).toBe(
      "Łucja_2.0",
    );
  });
});

Deno.test("accounts - once skeletons are indexed, a name is checked with one read, and an account from before skeletons is still found in every case", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const records = new KvAccounts(kv);
    // An account stored before skeletons were kept: no skeleton record.
    const legacy = new Accounts(records);
    await legacy.register("Dave", PASSWORD);
    await kv.delete(["account_skeletons", nameKey("Dave")]);
    expect(await records.bySkeleton(nameKey("Dave"))).toBe(null);
    let reads = 0;
    const counted = new Proxy(records, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== "get" && prop !== "bySkeleton") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (...args: unknown[]) => {
          reads++;
          return value.apply(target, args);
        };
      },
    });
    const accounts = new Accounts(counted);
    // Before indexing, the key read finds it.
    expect(await accounts.isReserved("DAVE")).toBe(true);
    await accounts.indexSkeletons();
    for (const name of ["Dave", "dave", "DAVE", "d\u0430ve"]) {
      reads = 0;
      expect(await accounts.isReserved(name)).toBe(true);
      expect(reads).toBe(1);
    }
    expect(await accounts.isReserved("dave-2")).toBe(false);
  } finally {
    kv.close();
  }
});

Deno.test("accounts - isReserved covers every case of an account's name", async () => {
  await withAccounts(async (accounts) => {
    await accounts.register("Mina", PASSWORD);
    expect(await accounts.isReserved("Mina")).toBe(true);
    expect(await accounts.isReserved("mina")).toBe(true);
    expect(await accounts.isReserved("MINA")).toBe(true);
    expect(await accounts.isReserved("mina-2")).toBe(false);
  });
});
