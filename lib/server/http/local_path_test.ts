import { expect } from "expect";
import { localPath } from "./local_path.ts";

Deno.test("local path - local paths pass, other origins become /", () => {
  expect(localPath("/rooms/general?x=1#m5")).toBe("/rooms/general?x=1#m5");
  expect(localPath("/")).toBe("/");
  for (
    const bad of [
      null,
      undefined,
      "",
      "rooms",
      "//evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "/\t/evil.example",
      "/%0d%0aSet-Cookie:x",
    ]
  ) {
    const out = localPath(bad);
    expect(out.startsWith("/") && !out.startsWith("//")).toBe(true);
    expect(new URL(out, "http://here.test").origin).toBe("http://here.test");
  }
  expect(localPath("//evil.example")).toBe("/");
});

Deno.test("local path - dot segments can't make a protocol-relative path", () => {
  for (const bad of ["/..//evil.com", "/a/../..//evil.com", "/.//evil.com"]) {
    expect(localPath(bad)).toBe("/");
  }
  expect(localPath("/a/../rooms")).toBe("/rooms");
});
