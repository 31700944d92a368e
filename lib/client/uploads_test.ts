import { expect } from "expect";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { makeThumbnail, UploadError, uploadFile } from "./uploads.ts";
import { type Server, withServer } from "@/tests/helpers/server.ts";
import { account, join, open } from "@/tests/helpers/members.ts";
import { samples } from "@/tests/helpers/file_samples.ts";
import { bytesOf, download } from "@/tests/helpers/uploads.ts";

/**
 * A fetch sending `cookie`, whose PUTs numbered in `failOn` never reach the
 * server and those in `loseAnswer` reach it but their answers are lost.
 */
function flakyFetch(
  cookie: string,
  failOn: number[],
  loseAnswer: number[] = [],
): typeof fetch {
  let puts = 0;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("cookie", cookie);
    const n = init?.method === "PUT" ? ++puts : 0;
    if (failOn.includes(n)) throw new TypeError("network connection lost");
    const res = await fetch(input, { ...init, headers });
    if (loseAnswer.includes(n)) {
      await res.body?.cancel();
      throw new TypeError("network connection lost");
    }
    return res;
  };
}

async function member(s: Server, name: string): Promise<string> {
  const cookie = await account(s, name);
  const c = await open(s, name, { cookie });
  await join(c, "general");
  await c.close();
  return cookie;
}

Deno.test("client uploads - a file goes up in pieces, survives failed pieces, reports progress and resolves with its message", async () => {
  await withServer({}, async (s) => {
    const cookie = await member(s, "ana");
    const data = bytesOf(250_000, 5);
    const progress: number[] = [];
    const thumbnail = new Blob([samples.png(16, 12)], { type: "image/png" });
    const { file, message } = await uploadFile(
      "general",
      new File([data], "data.bin", { type: "application/x-custom" }),
      {
        base: s.url,
        pieceBytes: 60_000,
        thumbnail,
        // Pieces 2 and 3 fail; the last one's answer is lost after it landed.
        fetch: flakyFetch(cookie, [3, 4], [8]),
        onProgress: (stored, total) => {
          expect(total).toBe(250_000);
          progress.push(stored);
        },
      },
    );
    expect(file).toMatchObject({
      name: "data.bin",
      size: 250_000,
      type: "application/octet-stream",
    });
    expect(file.thumbnail).toBeDefined();
    expect(message).toMatchObject({ user: "ana", file });
    expect(progress).toEqual([60_000, 120_000, 180_000, 240_000, 250_000]);
    expect((await download(s.url, file.id)).bytes).toEqual(data);
    const page = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    expect(page.messages.filter((m: ChatMessage) => m.file)).toHaveLength(1);
  });
});

Deno.test("client uploads - a refusal is an UploadError with the server's reason, not retried", async () => {
  await withServer({ MAX_UPLOAD_BYTES: "1000" }, async (s) => {
    const cookie = await member(s, "ana");
    const error = await uploadFile(
      "general",
      new File([bytesOf(2000)], "big.bin"),
      { base: s.url, fetch: flakyFetch(cookie, []) },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error).toMatchObject({
      status: 413,
      message: "File too large: 2.0 KB, the limit is 1.0 KB",
    });
    const posing = await uploadFile(
      "general",
      new File(["<html><script>x</script>"], "cat.png", { type: "image/png" }),
      { base: s.url, fetch: flakyFetch(cookie, []) },
    ).catch((e) => e);
    expect(posing).toMatchObject({ status: 415 });
  });
});

Deno.test("client uploads - no thumbnail is made of what isn't a raster image", async () => {
  expect(await makeThumbnail(new Blob(["<svg/>"], { type: "image/svg+xml" })))
    .toBe(null);
  expect(await makeThumbnail(new Blob(["x"], { type: "text/plain" }))).toBe(
    null,
  );
});
