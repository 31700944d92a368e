/**
 * The process's open-files limit (`nofile`): read it, raise the soft limit
 * to the hard one, and count descriptors in use, so the listener can keep
 * its sockets below the limit instead of failing to accept.
 *
 * @module
 */

/** The soft and hard `nofile` limits; `Infinity` for "unlimited". */
export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

const RLIMIT_NOFILE = 7;

/** The current limits, from `/proc/self/limits`; undefined where unreadable. */
export function openFilesLimit(): OpenFilesLimit | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/self/limits");
  } catch {
    return undefined;
  }
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const [soft, hard] = line?.slice("Max open files".length).trim().split(
    /\s+/,
  ) ?? [];
  const parse = (v: string | undefined) =>
    v === "unlimited" ? Infinity : Number(v);
  const limit = { soft: parse(soft), hard: parse(hard) };
  return Number.isNaN(limit.soft) || Number.isNaN(limit.hard)
    ? undefined
    : limit;
}

/**
 * Raises the soft limit to the hard one (Deno usually has at start; this
 * makes sure) and returns the limits in force. Needs `--allow-ffi` to raise;
 * without it the limits are returned as they are.
 */
export function raiseOpenFilesLimit(): OpenFilesLimit | undefined {
  const limit = openFilesLimit();
  if (!limit || limit.soft >= limit.hard || Deno.build.os !== "linux") {
    return limit;
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return limit;
  }
  try {
    const libc = Deno.dlopen("libc.so.6", {
      setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    });
    try {
      const value = Number.isFinite(limit.hard)
        ? BigInt(limit.hard)
        : 0xffff_ffff_ffff_ffffn;
      const rlimit = new BigUint64Array([value, value]);
      libc.symbols.setrlimit(RLIMIT_NOFILE, new Uint8Array(rlimit.buffer));
    } finally {
      libc.close();
    }
  } catch {
    // No libc to call: keep the limit we have.
  }
  return openFilesLimit();
}

/** Descriptors this process has open now; undefined where unknown. */
export function openFileCount(): number | undefined {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch {
    return undefined;
  }
}
