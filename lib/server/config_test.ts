import { expect } from "expect";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("config - LOG_LEVEL=warn is warning; LOG_FORMAT picks pretty or JSON lines", () => {
  expect(loadConfig({ LOG_LEVEL: "warn" }).logLevel).toBe("warning");
  expect(loadConfig({}).logLevel).toBe("info");
  expect(loadConfig({}).logFormat).toBe("auto");
  expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
  expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(ConfigError);
  expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(ConfigError);
});
