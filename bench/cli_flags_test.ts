import { expect } from "expect";
import { countFlag, eachFlag, positiveInt } from "./cli_flags.ts";

Deno.test("cli flags - each --flag=value is handed over, a bare -- skipped, a refused one throws", () => {
  const seen: [string, string][] = [];
  eachFlag(["--", "--a=1", "--b", '--json={"k":"x=y"}'], (flag, value) => {
    seen.push([flag, value]);
    return true;
  });
  expect(seen).toEqual([["--a", "1"], ["--b", ""], ["--json", '{"k":"x=y"}']]);
  expect(() => eachFlag(["--fast"], () => false))
    .toThrow("Unknown or invalid argument: --fast");
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
