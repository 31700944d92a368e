/**
 * Process and machine figures read from Linux's /proc: CPU time, resident
 * memory, and the machine's busy time (to see load from other processes).
 *
 * @module
 */

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by `pid` ("self" for this one). */
export function cpuSeconds(pid: number | "self" = "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may hold spaces; fields are counted after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by `pid` and its live children (a PostgreSQL
 * postmaster and its backends). Children that exited are not counted.
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) {
        total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      }
    } catch { /* gone meanwhile */ }
  }
  return total;
}

/** Resident memory of `pid` in bytes (VmRSS), NaN once it is gone. */
export function rssBytes(pid: number | "self" = "self"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = status.match(/^VmRSS:\s+(\d+) kB/m);
    return kb ? Number(kb[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Times `pid`'s main thread went to sleep and was woken again so far (its
 * voluntary context switches), NaN once it is gone.
 */
export function wakeUps(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const n = status.match(/^voluntary_ctxt_switches:\s+(\d+)/m);
    return n ? Number(n[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The machine's CPU time so far, in seconds summed over every core. */
export interface MachineCpu {
  busy: number;
  total: number;
}

/** Reads the machine's busy and total CPU seconds from /proc/stat. */
export function machineCpu(): MachineCpu {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = t[3] + t[4];
  return {
    busy: (total - idle) / TICKS_PER_SECOND,
    total: total / TICKS_PER_SECOND,
  };
}

/** The machine the figures come from. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  deno: string;
  loadAverage: string;
  date: string;
  /** The kernel's memory monitor when it runs: see {@link memoryMonitor}. */
  memoryMonitor?: string;
}

/**
 * The kernel's data-access monitor (DAMON) when one of its daemons runs, as
 * "DAMON <operations>, sampling every <n> ms[, <actions>]", else undefined.
 * Some virtual machines run it for proactive reclaim; on the bench machine
 * each sample stalled every process for about 10 ms every half second,
 * which is most of a baseline's ack p99 and several milliseconds of the
 * app's (docs/postgres-performance.md, 2026-12-05). `root` is the sysfs
 * folder, for tests.
 */
export function memoryMonitor(
  root = "/sys/kernel/mm/damon/admin",
): string | undefined {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(`${root}/${path}`).trim();
    } catch {
      return undefined;
    }
  };
  const count = Number(read("kdamonds/nr_kdamonds") ?? 0);
  for (let k = 0; k < count; k++) {
    if (read(`kdamonds/${k}/state`) !== "on") continue;
    const ctx = `kdamonds/${k}/contexts/0`;
    const ops = read(`${ctx}/operations`) ?? "?";
    const sampleUs = Number(
      read(`${ctx}/monitoring_attrs/intervals/sample_us`),
    );
    const schemes = Number(read(`${ctx}/schemes/nr_schemes`) ?? 0);
    const actions = Array.from(
      { length: schemes },
      (_, i) => read(`${ctx}/schemes/${i}/action`),
    ).filter((a) => a);
    return `DAMON ${ops}, sampling every ${
      Number.isFinite(sampleUs) ? sampleUs / 1000 : "?"
    } ms${actions.length ? `, ${actions.join(", ")}` : ""}`;
  }
  return undefined;
}

/** Describes this machine and runtime. */
export function machineInfo(): MachineInfo {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  return {
    cores: navigator.hardwareConcurrency,
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown",
    deno: Deno.version.deno,
    loadAverage: Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3)
      .join(" "),
    date: new Date().toISOString(),
    memoryMonitor: memoryMonitor(),
  };
}
