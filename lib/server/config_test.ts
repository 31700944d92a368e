import { expect } from "expect";
import { ConfigError, loadConfig, loadConfigOrReport } from "./config.ts";

Deno.test("config - LOG_LEVEL=warn is warning; LOG_FORMAT picks pretty or JSON lines", () => {
  expect(loadConfig({ LOG_LEVEL: "warn" }).logLevel).toBe("warning");
  expect(loadConfig({}).logLevel).toBe("info");
  expect(loadConfig({}).logFormat).toBe("auto");
  expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
  expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(ConfigError);
  expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(ConfigError);
});

Deno.test("config - AWAY_AFTER_MS and MEMBERSHIP_EVENT_WINDOW_MS have defaults and bounds", () => {
  expect(loadConfig({}).awayAfterMs).toBe(300_000);
  expect(loadConfig({}).membershipEventWindowMs).toBe(1000);
  expect(loadConfig({ AWAY_AFTER_MS: "5000" }).awayAfterMs).toBe(5000);
  expect(
    loadConfig({ MEMBERSHIP_EVENT_WINDOW_MS: "0" }).membershipEventWindowMs,
  )
    .toBe(0);
  expect(() => loadConfig({ AWAY_AFTER_MS: "10" })).toThrow(ConfigError);
  expect(() => loadConfig({ MEMBERSHIP_EVENT_WINDOW_MS: "-1" })).toThrow(
    ConfigError,
  );
});

Deno.test("config - COMMIT_SPACING_MS is 4 ms on KV and 0 on PostgreSQL by default, settable for both, and bounded", () => {
  const pg = { DATABASE_URL: "postgres://chat@127.0.0.1:5432/chat" };
  expect(loadConfig({}).commitSpacingMs).toBe(4);
  expect(loadConfig(pg).commitSpacingMs).toBe(0);
  expect(loadConfig({ ...pg, COMMIT_SPACING_MS: "4" }).commitSpacingMs)
    .toBe(4);
  expect(loadConfig({ COMMIT_SPACING_MS: "0" }).commitSpacingMs).toBe(0);
  expect(() => loadConfig({ COMMIT_SPACING_MS: "-1" })).toThrow(ConfigError);
  expect(() => loadConfig({ COMMIT_SPACING_MS: "5000" })).toThrow(ConfigError);
});

Deno.test("config - CHAT_ROOMS takes room ids only: each bad entry is one line of the report", () => {
  expect(loadConfig({ CHAT_ROOMS: "lobby, help-desk,q_and_a" }).rooms)
    .toEqual(["lobby", "help-desk", "q_and_a"]);
  const lines: string[] = [];
  const config = loadConfigOrReport(
    { CHAT_ROOMS: "general,Bad Room,../x,-dash," + "a".repeat(33) },
    (line) => lines.push(line),
  );
  expect(config).toBeUndefined();
  const report = lines.join("\n").split("\n");
  expect(report[0]).toBe("Invalid configuration:");
  expect(
    report.slice(1).map((l) => /: ("[^"]*") is not a room id/.exec(l)?.[1]),
  )
    .toEqual(['"Bad Room"', '"../x"', '"-dash"', `"${"a".repeat(33)}"`]);
  expect(() => loadConfig({ CHAT_ROOMS: "General" })).toThrow(ConfigError);
});
