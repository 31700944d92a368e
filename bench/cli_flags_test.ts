import { expect } from "expect";
import {
  type CliIo,
  countFlag,
  eachFlag,
  parseOrExit,
  positiveInt,
  UsageError,
} from "./cli_flags.ts";
import { parseRunArgs, USAGE } from "./run.ts";
import { AB_USAGE, parseAbArgs } from "./ab.ts";
import { PAIRS_USAGE, parsePairsArgs } from "./pairs.ts";
import { LOGGING_USAGE, parseLoggingArgs } from "./logging.ts";
import { FRAMES_USAGE, parseFramesArgs } from "./frames.ts";
import { parseSocketsArgs, SOCKETS_USAGE } from "./socket_send.ts";
import { PAGE_USAGE, parsePageArgs } from "./page.ts";
import { parseSearchArgs, SEARCH_FULL, SEARCH_USAGE } from "./search.ts";
import {
  parseStormArgs,
  STORM_FULL,
  STORM_QUICK,
  STORM_USAGE,
} from "./reaction_storm.ts";

Deno.test("cli flags - each --flag=value is handed over, a bare -- skipped, a refused one throws", () => {
  const seen: [string, string][] = [];
  eachFlag(["--", "--a=1", "--b", '--json={"k":"x=y"}'], (flag, value) => {
    seen.push([flag, value]);
    return true;
  });
  expect(seen).toEqual([["--a", "1"], ["--b", ""], ["--json", '{"k":"x=y"}']]);
  expect(() => eachFlag(["--fast"], () => false))
    .toThrow(new UsageError("Unknown or invalid argument: --fast"));
});

Deno.test("cli flags - positive integers only", () => {
  expect(positiveInt("8")).toBe(8);
  for (const bad of ["", "0", "-1", "1.5", "x"]) {
    expect(positiveInt(bad)).toBeUndefined();
  }
});

Deno.test("cli flags - a count flag sets its option; another flag or a bad count is refused", () => {
  const options = { rooms: 1, rate: 2, backend: "kv" };
  expect(countFlag(options, ["rooms", "rate"], "--rooms", "500")).toBe(true);
  expect(options).toEqual({ rooms: 500, rate: 2, backend: "kv" });
  expect(countFlag(options, ["rooms", "rate"], "--rate", "0")).toBe(false);
  expect(countFlag(options, ["rooms", "rate"], "--pairs", "8")).toBe(false);
  expect(countFlag(options, ["rooms", "rate"], "rooms", "8")).toBe(false);
  expect(options).toEqual({ rooms: 500, rate: 2, backend: "kv" });
});

/** An exit that throws, so a test sees the code and nothing after runs. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `parseOrExit` with its output and exit recorded. */
function cli<T>(
  args: string[],
  usage: string,
  parse: (args: string[]) => T,
): { out: string[]; err: string[]; code?: number; value?: T } {
  const seen: { out: string[]; err: string[]; code?: number; value?: T } = {
    out: [],
    err: [],
  };
  const io: CliIo = {
    out: (text) => seen.out.push(text),
    err: (line) => seen.err.push(line),
    exit: (code) => {
      throw new Exit(code);
    },
  };
  try {
    seen.value = parseOrExit("tool", args, usage, parse, io);
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    seen.code = error.code;
  }
  return seen;
}

/** Every bench tool's usage and parser. */
const TOOLS: [string, string, (args: string[]) => unknown][] = [
  ["bench", USAGE, parseRunArgs],
  ["bench:ab", AB_USAGE, parseAbArgs],
  ["bench:pairs", PAIRS_USAGE, parsePairsArgs],
  ["bench:logging", LOGGING_USAGE, parseLoggingArgs],
  ["bench:frames", FRAMES_USAGE, parseFramesArgs],
  ["bench:sockets", SOCKETS_USAGE, parseSocketsArgs],
  ["bench:page", PAGE_USAGE, parsePageArgs],
  ["search", SEARCH_USAGE, parseSearchArgs],
  ["reaction_storm", STORM_USAGE, parseStormArgs],
];

Deno.test("cli flags - --help prints the usage and exits 0 before anything is parsed", () => {
  for (const [tool, usage, parse] of TOOLS) {
    for (const args of [["--", "--help"], ["-h"], ["--bogus", "--help"]]) {
      const run = cli(args, usage, parse);
      expect({ tool, ...run }).toEqual({
        tool,
        out: [usage.trim()],
        err: [],
        code: 0,
      });
    }
    expect({ tool, usage }).toEqual({
      tool,
      usage: expect.stringContaining("--help"),
    });
  }
});

Deno.test("cli flags - an unknown argument is one line and exit code 2, for every tool", () => {
  for (const [tool, usage, parse] of TOOLS) {
    const run = cli(["--", "--bogus"], usage, parse);
    expect({ tool, ...run }).toEqual({
      tool,
      out: [],
      err: [
        "tool: Unknown or invalid argument: --bogus (--help lists the flags)",
      ],
      code: 2,
    });
  }
  // Errors other than a refused argument are not the command line's.
  expect(() =>
    cli([], "", () => {
      throw new RangeError("a bug");
    })
  ).toThrow(RangeError);
  expect(cli(["--"], "", () => 7)).toEqual({ out: [], err: [], value: 7 });
});

Deno.test("cli flags - bench: each flag read, each bad value refused", () => {
  expect(parseRunArgs([])).toEqual({
    quick: false,
    only: expect.arrayContaining(["fanout", "durable", "search"]),
    ramp: true,
    write: true,
  });
  expect(
    parseRunArgs([
      "--",
      "--quick",
      "--no-ramp",
      "--no-write",
      "--size=500",
      "--only=search,fanout",
      "--listener=deno",
    ]),
  ).toEqual({
    quick: true,
    only: ["search", "fanout"],
    ramp: false,
    write: false,
    size: 500,
    listener: "deno",
  });
  for (
    const bad of [
      "--size=0",
      "--size=x",
      "--listener=bun",
      "--quick=yes",
      "--help-me",
      "--only",
      "--only=",
      "quick",
    ]
  ) {
    expect(() => parseRunArgs([bad])).toThrow(UsageError);
  }
  expect(() => parseRunArgs(["--only=fanout,nope"]))
    .toThrow(new UsageError("Unknown scenario: nope"));
});

Deno.test("cli flags - the other tools' flags", () => {
  expect(parseLoggingArgs([])).toEqual({ quick: false });
  expect(parseLoggingArgs(["--", "--quick"])).toEqual({ quick: true });
  expect(parseFramesArgs([])).toEqual({ listeners: ["node", "deno"] });
  expect(parseFramesArgs(["--listener=deno"])).toEqual({ listeners: ["deno"] });
  expect(() => parseFramesArgs(["--listener=bun"])).toThrow(UsageError);
  expect(parseSocketsArgs(["--"])).toEqual({});
  expect(() => parseSocketsArgs(["--quick"])).toThrow(UsageError);
  expect(parseSearchArgs([])).toEqual(SEARCH_FULL);
  expect(parseSearchArgs(["--quick", "--messages=2000"]).messages).toBe(2000);
  expect(() => parseSearchArgs(["--messages=lots"])).toThrow(UsageError);
  expect(parseStormArgs([])).toEqual({ plan: STORM_FULL, backends: ["kv"] });
  expect(parseStormArgs(["--quick", "--postgres"])).toEqual({
    plan: STORM_QUICK,
    backends: ["postgres"],
  });
  expect(() => parseAbArgs(["--a=not json"])).toThrow(UsageError);
});

Deno.test("cli flags - deno task bench -- --help and an unknown flag, as a process", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", "bench/run.ts", ...args],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // Should parsing ever let a run start, it is cut short.
      signal: AbortSignal.timeout(30_000),
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  };
  const help = await run("--", "--help");
  expect({ code: help.code, stderr: help.stderr }).toEqual({
    code: 0,
    stderr: "",
  });
  expect(help.stdout).toContain("--only=<name>[,<name>]");
  const bad = await run("--", "--fast");
  expect(bad).toEqual({
    code: 2,
    stdout: "",
    stderr:
      "bench: Unknown or invalid argument: --fast (--help lists the flags)\n",
  });
});

Deno.test("cli flags - bench:page reads its load and its views, and refuses what it can't use", () => {
  expect(
    parsePageArgs(["--", "--members=500", "--online=50", "--views=phone"]),
  ).toMatchObject({ members: 500, online: 50, rate: 10, views: ["phone"] });
  // More online than members is refused too (here: the default 300 of 50).
  for (
    const bad of [["--views=tablet"], ["--members=0"], ["--members=50"]]
  ) {
    expect(() => parsePageArgs(bad)).toThrow(UsageError);
  }
});
