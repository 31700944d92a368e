import { expect } from "expect";
import { HttpError } from "fresh";
import { readSmallBody } from "./small_body.ts";

const options = { maxBytes: 10, tooLarge: "Too large", timeoutMs: 50 };

/** A POST whose body is the stream `body`. */
const post = (body: ReadableStream<Uint8Array>, length?: number) =>
  new Request("http://x/", {
    method: "POST",
    body,
    headers: length === undefined ? {} : { "content-length": String(length) },
  });

const chunks = (...parts: string[]) =>
  ReadableStream.from(parts.map((p) => new TextEncoder().encode(p)));

const failure = async (req: Request) => {
  const error = await readSmallBody(req, options).catch((e) => e);
  expect(error).toBeInstanceOf(HttpError);
  return [(error as HttpError).status, (error as HttpError).message];
};

Deno.test("small body - read whole from its pieces; none is empty", async () => {
  const bytes = await readSmallBody(post(chunks("ab", "cd")), options);
  expect(new TextDecoder().decode(bytes)).toBe("abcd");
  expect(await readSmallBody(new Request("http://x/"), options)).toEqual(
    new Uint8Array(0),
  );
});

Deno.test("small body - too large declared or sent is a 413; one that stops coming a 408; one cut off a 400", async () => {
  expect(await failure(post(chunks("a"), 11))).toEqual([413, "Too large"]);
  expect(await failure(post(chunks("abcdef", "ghijkl")))).toEqual([
    413,
    "Too large",
  ]);
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("{"));
    },
    cancel() {
      cancelled = true;
    },
  });
  expect(await failure(post(stalled))).toEqual([
    408,
    "The request's body did not arrive within 0.05 s",
  ]);
  expect(cancelled).toBe(true);
  const cut = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new Error("aborted"));
    },
  });
  expect(await failure(post(cut))).toEqual([
    400,
    "The request's body was cut off",
  ]);
});
