import { expect } from "expect";
import { HttpError } from "fresh";
import { readJson } from "./json_body.ts";

const post = (type: string, body = '{"ok":true}') =>
  new Request("http://x/api", {
    method: "POST",
    headers: { "content-type": type },
    body,
  });

Deno.test("json body - the media type is matched whatever its case, with or without parameters", async () => {
  for (
    const type of [
      "application/json",
      "Application/JSON",
      "APPLICATION/JSON; Charset=UTF-8",
      " application/Json ;charset=utf-8",
    ]
  ) {
    expect(await readJson(post(type))).toEqual({ ok: true });
  }
});

Deno.test("json body - another media type is a 415", async () => {
  for (
    const type of [
      "text/plain",
      "application/jsonx",
      "application/x-www-form-urlencoded",
    ]
  ) {
    const error = await readJson(post(type)).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(415);
  }
});
