/**
 * File and image uploads through a real server: in pieces, cut off and
 * resumed, posted to the room as a message, downloaded byte for byte;
 * sniffing decides the type and how it is served; limits and quotas; a
 * private room's files to members only; files kept across a restart, on a
 * Deno KV file and on PostgreSQL.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import {
  type Server,
  startServer,
  withServer,
} from "@/tests/helpers/server.ts";
import { startPostgres, testOnBothBackends } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";
import type { Frame } from "@/tests/helpers/ws_client.ts";
import { account, join, open, say, welcome } from "@/tests/helpers/members.ts";
import { samples } from "@/tests/helpers/file_samples.ts";
import {
  bytesOf,
  createUpload,
  download,
  offset,
  putAndHangUp,
  putAndStall,
  putRange,
  upload,
  uploadRest,
} from "@/tests/helpers/uploads.ts";

/** An account that has connected once, so it is a member of the default rooms. */
async function member(s: Server, name: string): Promise<string> {
  const cookie = await account(s, name);
  await (await open(s, name, { cookie })).close();
  return cookie;
}

const pdf = (n: number) => {
  const data = bytesOf(n, 7);
  data.set(new TextEncoder().encode("%PDF-1.7\n"));
  return data;
};

Deno.test("uploads - a file sent in pieces, cut off midway and resumed, is posted to the room and downloads byte for byte", async () => {
  await withServer({}, async (s) => {
    const cookie = await account(s, "ana");
    const creds = { cookie };
    const ana = await open(s, "ana", { cookie });
    await join(ana, "general");
    const data = pdf(300_000);
    const created = await createUpload(s.url, "general", {
      name: "../../report 2026.pdf",
      size: data.length,
      type: "application/pdf",
    }, creds);
    expect(created.status).toBe(201);
    const { id, uploadUrl } = created.body;
    expect(uploadUrl).toBe(`/api/uploads/${id}`);
    expect(created.headers.get("location")).toBe(uploadUrl);

    const first = await putRange(
      s.url,
      id,
      data.slice(0, 100_000),
      0,
      data.length,
      creds,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: 100_000, complete: false });
    // The network drops 70,000 bytes into a 100,000-byte piece: bytes the
    // server read before the hang-up are kept, the rest are to be resent.
    await putAndHangUp(s.url, id, data, 100_000, 200_000, 70_000, creds);
    const kept = (await offset(s.url, id, creds))!;
    expect(kept).toBeGreaterThanOrEqual(100_000);
    expect(kept).toBeLessThanOrEqual(170_000);
    // A piece past the stored bytes is refused, saying where they end.
    const gap = await putRange(
      s.url,
      id,
      data.slice(180_000, 190_000),
      180_000,
      data.length,
      creds,
    );
    expect(gap.status).toBe(409);
    expect(gap.body.error.message).toMatch(
      /^Bytes from 1[0-7]\d{4} expected, not from 180000: ask HEAD for the offset$/,
    );
    // A resend of bytes stored already is skipped (the cut-off request may
    // still be storing its last bytes: then it is a 409 and is sent again).
    const overlap = await until(async () => {
      const res = await putRange(
        s.url,
        id,
        data.slice(90_000, 200_000),
        90_000,
        data.length,
        creds,
      );
      return res.status === 409 ? undefined : res;
    });
    expect(overlap.body).toMatchObject({ received: 200_000, complete: false });
    expect(ana.of("message").filter((m) => m.file)).toEqual([]);

    const done = await uploadRest(s.url, id, data, 64_000, creds);
    expect(done.status).toBe(200);
    const file = {
      id,
      name: "report 2026.pdf",
      size: 300_000,
      type: "application/pdf",
    };
    expect(done.body).toMatchObject({
      complete: true,
      received: 300_000,
      file,
    });
    expect(done.body.message).toMatchObject({
      user: "ana",
      text: "report 2026.pdf",
      file,
    });
    const live = await ana.next("message", (m) => (m.file as Frame)?.id === id);
    expect(live).toMatchObject({ id: done.body.message.id, file });
    const page = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    expect(page.messages.at(-1)).toMatchObject({ file });

    const got = await download(s.url, id);
    expect(got.status).toBe(200);
    expect(got.bytes).toEqual(data);
    expect(got.headers.get("content-type")).toBe("application/pdf");
    expect(got.headers.get("content-disposition")).toBe(
      `attachment; filename="report 2026.pdf"; filename*=UTF-8''report%202026.pdf`,
    );
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("cache-control")).toMatch(/^public/);
    const part = await download(s.url, id, {}, { range: "bytes=1000-1999" });
    expect(part.status).toBe(206);
    expect(part.bytes).toEqual(data.slice(1000, 2000));
    expect(part.headers.get("content-range")).toBe("bytes 1000-1999/300000");

    // Sending the last piece again answers the same message, posted once.
    const again = await putRange(
      s.url,
      id,
      data.slice(299_000),
      299_000,
      data.length,
      creds,
    );
    expect(again.body.message.id).toBe(done.body.message.id);
    await ana.close();
  });
});

Deno.test("uploads - a download's invalid Range is ignored (the whole file, 200); one past the end is a 416 with Content-Range: bytes */size", async () => {
  await withServer({}, async (s) => {
    const creds = { cookie: await member(s, "ana") };
    const data = pdf(5000);
    const { done } = await upload(s.url, "general", {
      name: "r.pdf",
      type: "application/pdf",
      data,
    }, creds);
    expect(done.status).toBe(200);
    const id = done.body.file.id as string;
    for (const range of ["bytes=5-3", "bytes=4999-0"]) {
      const whole = await download(s.url, id, {}, { range });
      expect(whole.status).toBe(200);
      expect(whole.bytes).toEqual(data);
      expect(whole.headers.get("content-range")).toBeNull();
    }
    for (const range of ["bytes=5000-", "bytes=9000-9999", "bytes=-0"]) {
      const res = await fetch(`${s.url}/api/files/${id}`, {
        headers: { range },
      });
      expect(res.status).toBe(416);
      expect(res.headers.get("content-range")).toBe("bytes */5000");
      expect(await res.json()).toEqual({
        error: {
          status: 416,
          message: "Range not satisfiable: the file is 5000 bytes",
        },
      });
    }
    const part = await download(s.url, id, {}, { range: "bytes=4990-" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 4990-4999/5000");
  });
});

Deno.test("uploads - a body that stalls is cut off with 408, keeps what arrived, and the upload resumes", async () => {
  await withServer({ UPLOAD_IDLE_MS: "300" }, async (s) => {
    const cookie = await account(s, "ana");
    const creds = { cookie };
    const ana = await open(s, "ana", { cookie });
    await join(ana, "general");
    const data = pdf(200_000);
    const created = await createUpload(s.url, "general", {
      name: "slow.pdf",
      size: data.length,
      type: "application/pdf",
    }, creds);
    const { id } = created.body;
    const answer = await putAndStall(
      s.url,
      id,
      data,
      0,
      data.length,
      70_000,
      creds,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/sent nothing for 0\.3 s/);
    const kept = await offset(s.url, id, creds);
    expect(kept).toBe(70_000);
    const done = await uploadRest(s.url, id, data, 100_000, creds);
    expect(done.body.complete).toBe(true);
    expect((await download(s.url, id, creds)).bytes).toEqual(data);
    await ana.close();
  });
});

Deno.test("uploads - an image with its thumbnail: sizes sniffed, shown inline; a guest uploads by its token under its name", async () => {
  await withServer({}, async (s) => {
    const gus = await open(s, "gus");
    const token = welcome(gus).token as string;
    const creds = { "x-guest-token": token };
    await join(gus, "general");
    const thumb = await upload(s.url, "general", {
      name: "thumb.png",
      type: "image/png",
      purpose: "thumbnail",
      data: samples.png(32, 24),
    }, creds);
    expect(thumb.done.body).toMatchObject({
      complete: true,
      file: { type: "image/png", width: 32, height: 24 },
    });
    expect(thumb.done.body.message).toBeUndefined();
    const image = samples.png(640, 480);
    const { done } = await upload(s.url, "general", {
      name: "cat.png",
      type: "image/png",
      thumbnail: thumb.created.body.id,
      data: image,
    }, creds);
    expect(done.body.message).toMatchObject({
      user: "gus",
      guest: true,
      file: {
        name: "cat.png",
        type: "image/png",
        width: 640,
        height: 480,
        thumbnail: thumb.created.body.id,
      },
    });
    const got = await download(s.url, done.body.id);
    expect(got.bytes).toEqual(image);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(got.headers.get("content-disposition")).toMatch(/^inline; /);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await download(s.url, thumb.created.body.id)).status).toBe(200);

    // A thumbnail that isn't a raster image, or is someone else's, is refused.
    const fake = await upload(s.url, "general", {
      name: "t.png",
      type: "image/png",
      purpose: "thumbnail",
      data: new TextEncoder().encode("<svg onload=alert(1)>"),
    }, creds);
    expect(fake.done.status).toBe(415);
    const ana = await member(s, "ana");
    const other = await createUpload(s.url, "general", {
      name: "x.png",
      size: 10,
      type: "image/png",
      thumbnail: thumb.created.body.id,
    }, { cookie: ana });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/^Bad thumbnail/);
    await gus.close();
  });
});

Deno.test("uploads - the type is sniffed: a declared image that is HTML is refused, HTML and SVG are only ever downloads", async () => {
  await withServer({}, async (s) => {
    const creds = { cookie: await member(s, "ana") };
    const html = new TextEncoder().encode(
      "<!doctype html><script>alert(document.cookie)</script>",
    );
    const posing = await upload(s.url, "general", {
      name: "cat.png",
      type: "image/png",
      data: html,
    }, creds);
    expect(posing.done.status).toBe(415);
    expect(posing.done.body.error).toEqual({
      status: 415,
      message: "Not an image: declared image/png, the bytes are text/html",
    });
    expect(await offset(s.url, posing.created.body.id, creds)).toBe(null);

    for (
      const [name, type, data] of [
        ["page.html", "text/html", html],
        ["page.txt", "text/plain", html],
        [
          "logo.svg",
          "image/svg+xml",
          new TextEncoder().encode(
            '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
          ),
        ],
      ] as const
    ) {
      const { done } = await upload(
        s.url,
        "general",
        { name, type, data },
        creds,
      );
      expect(done.status).toBe(200);
      expect(done.body.file.type).toBe(
        name === "logo.svg" ? "image/svg+xml" : "text/html",
      );
      const got = await download(s.url, done.body.id);
      expect(got.bytes).toEqual(data);
      expect(got.headers.get("content-type")).toBe("application/octet-stream");
      expect(got.headers.get("content-disposition")).toMatch(/^attachment; /);
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const text = await upload(s.url, "general", {
      name: "notes.txt",
      type: "application/x-whatever",
      data: new TextEncoder().encode("plain words, 한국어"),
    }, creds);
    expect(text.done.body.file.type).toBe("text/plain");
    const got = await download(s.url, text.done.body.id);
    expect(got.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(got.headers.get("content-disposition")).toMatch(/^attachment; /);
  });
});

Deno.test("uploads - a private room's files reach its members only (a guest by token or cookie); others get 404 as if there were none", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    owner.send({ type: "create", room: "secret", private: true });
    await owner.next("room", (f) => (f.room as Frame).id === "secret");
    const data = pdf(5000);
    const { created, done } = await upload(s.url, "secret", {
      name: "plan.pdf",
      type: "application/pdf",
      data,
    }, { cookie: ownerCookie });
    expect(done.body.complete).toBe(true);
    const id = created.body.id;
    const mine = await download(s.url, id, { cookie: ownerCookie });
    expect(mine.status).toBe(200);
    expect(mine.bytes).toEqual(data);
    expect(mine.headers.get("cache-control")).toMatch(/^private/);

    const eveCookie = await account(s, "eve");
    const gus = await open(s, "gus");
    const outsiders: Record<string, string>[] = [
      {},
      { cookie: eveCookie },
      { "x-guest-token": welcome(gus).token as string },
    ];
    for (const creds of outsiders) {
      const got = await download(s.url, id, creds);
      expect(got.status).toBe(404);
      expect(JSON.parse(new TextDecoder().decode(got.bytes))).toEqual({
        error: { status: 404, message: `No such file: ${id}` },
      });
      // Nor may they start uploads there, or touch the owner's.
      const start = await createUpload(s.url, "secret", {
        name: "x.txt",
        size: 5,
        type: "text/plain",
      }, creds);
      expect(start.status).toBe(404);
      expect(await offset(s.url, id, creds)).toBe(null);
      const put = await putRange(
        s.url,
        id,
        data.slice(0, 10),
        0,
        data.length,
        creds,
      );
      expect(put.status).toBe(404);
    }
    expect((await download(s.url, "no-such-file")).status).toBe(404);
    // A made-up token is no identity: refused as such, wherever it's sent.
    const madeUp = { "x-guest-token": "not-a-token" };
    for (
      const got of [
        await download(s.url, id, madeUp),
        await createUpload(s.url, "general", {
          name: "x.txt",
          size: 5,
          type: "text/plain",
        }, madeUp),
        await putRange(s.url, id, data.slice(0, 10), 0, data.length, madeUp),
      ]
    ) {
      expect(got.status).toBe(400);
    }
    const search = await fetch(new URL("/api/search?q=x", s.url), {
      headers: madeUp,
    });
    expect(search.status).toBe(400);
    expect(await search.json()).toEqual({
      error: { status: 400, message: "X-Guest-Token must be a guest token" },
    });

    // Invited, eve may read it.
    owner.send({ type: "invite", room: "secret", user: "eve" });
    await until(async () =>
      (await download(s.url, id, { cookie: eveCookie })).status === 200
    );

    // An invited guest reads it by its token, and by the cookie that
    // POST /api/guest sets from it (an <img> can't send a header).
    const token = welcome(gus).token as string;
    const bad = await fetch(new URL("/api/guest", s.url), {
      method: "POST",
      headers: { "x-guest-token": "not-a-token" },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.status).toBe(400);
    const set = await fetch(new URL("/api/guest", s.url), {
      method: "POST",
      headers: { "x-guest-token": token },
    });
    expect(set.status).toBe(204);
    const setCookie = set.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/);
    const guestCookie = setCookie.split(";")[0];
    expect(guestCookie).toBe(`guest=${token}`);
    expect((await download(s.url, id, { cookie: guestCookie })).status)
      .toBe(404);
    owner.send({ type: "invite", room: "secret", user: "gus" });
    await until(async () =>
      (await download(s.url, id, { cookie: guestCookie })).status === 200
    );
    const byCookie = await download(s.url, id, { cookie: guestCookie });
    expect(byCookie.bytes).toEqual(data);
    expect((await download(s.url, id, { "x-guest-token": token })).status)
      .toBe(200);
    // The cookie is for reading only: it starts no upload.
    const viaCookie = await createUpload(s.url, "secret", {
      name: "x.txt",
      size: 5,
      type: "text/plain",
    }, { cookie: guestCookie });
    expect(viaCookie.status).not.toBe(201);
    await owner.close();
    await gus.close();
  });
});

testOnBothBackends(
  "uploads - an id longer than any file's (or odd) is a 404 like an unknown one, for downloads and uploads alike",
  async (env) => {
    await withServer(env, async (s) => {
      const gus = await open(s, "gus");
      const creds = { "x-guest-token": welcome(gus).token as string };
      const data = pdf(2000);
      const { done } = await upload(s.url, "general", {
        name: "kept.pdf",
        type: "application/pdf",
        data,
      }, creds);
      expect(done.body.complete).toBe(true);
      const ids = [
        "no-such-file",
        "a".repeat(65),
        "a".repeat(2100),
        "b".repeat(3000),
        "%C3%A9".repeat(800),
      ];
      for (const raw of ids) {
        const id = decodeURIComponent(raw);
        for (const method of ["GET", "HEAD"]) {
          const res = await fetch(`${s.url}/api/files/${raw}`, {
            method,
            headers: creds,
          });
          expect({ method, status: res.status, raw: raw.slice(0, 20) })
            .toEqual({ method, status: 404, raw: raw.slice(0, 20) });
          if (method === "GET") {
            expect(await res.json()).toEqual({
              error: { status: 404, message: `No such file: ${id}` },
            });
          } else await res.body?.cancel();
        }
        for (const method of ["GET", "PUT", "DELETE"]) {
          const res = await fetch(`${s.url}/api/uploads/${raw}`, {
            method,
            headers: {
              ...creds,
              ...(method === "PUT" ? { "content-range": "bytes 0-2/3" } : {}),
            },
            body: method === "PUT" ? new Uint8Array([1, 2, 3]) : undefined,
          });
          expect({ method, status: res.status, raw: raw.slice(0, 20) })
            .toEqual({ method, status: 404, raw: raw.slice(0, 20) });
          expect(await res.json()).toEqual({
            error: { status: 404, message: `No such upload: ${id}` },
          });
        }
      }
      // Nothing accepted was lost: the real file still downloads.
      expect((await download(s.url, done.body.id)).bytes).toEqual(data);
      await gus.close();
    });
  },
);

testOnBothBackends(
  "uploads - a file uploaded from a thread is a reply there (in the room too when asked), counted for those taking part; a thread gone meanwhile sends it to the room; bad thread fields are 400 or 404",
  async (env) => {
    await withServer(env, async (s) => {
      const anaCookie = await account(s, "ana");
      const boCookie = await account(s, "bo");
      const ana = await open(s, "ana", { cookie: anaCookie });
      const bo = await open(s, "bo", { cookie: boCookie });
      for (const c of [ana, bo]) await join(c, "general");
      const root = await say(bo, "general", "send me the report");
      const creds = { cookie: anaCookie };
      const file = (name: string, extra: Record<string, unknown> = {}) => ({
        name,
        type: "application/pdf",
        data: pdf(3000),
        ...extra,
      });

      const { done } = await upload(
        s.url,
        "general",
        file("report.pdf", { parent: root }),
        creds,
      );
      expect(done.status).toBe(200);
      const reply = done.body.message;
      expect(reply).toMatchObject({ parent: root, text: "report.pdf" });
      expect(reply.alsoInRoom).toBeUndefined();
      expect(await bo.next("message", (m) => m.id === reply.id))
        .toMatchObject({ parent: root, file: { id: done.body.id } });
      // bo wrote the thread's first message: the reply is a mention for bo.
      await bo.until(() =>
        bo.of("read").some((f) => f.room === "general" && f.mentions === 1)
      );
      const both = await upload(
        s.url,
        "general",
        file("summary.pdf", { parent: root, alsoInRoom: true }),
        creds,
      );
      expect(both.done.body.message).toMatchObject({
        parent: root,
        alsoInRoom: true,
      });
      bo.send({ type: "thread", room: "general", id: root });
      const page = await bo.next("thread", (f) => f.id === root);
      expect((page.root as Frame).thread).toMatchObject({ replies: 2 });
      expect((page.replies as Frame[]).map((m) => m.text)).toEqual([
        "report.pdf",
        "summary.pdf",
      ]);

      // The thread's first message is deleted while the file uploads.
      const doomed = await say(bo, "general", "and the slides?");
      const data = pdf(3000);
      const started = await createUpload(s.url, "general", {
        name: "slides.pdf",
        size: data.length,
        type: "application/pdf",
        parent: doomed,
      }, creds);
      expect(started.status).toBe(201);
      bo.send({ type: "delete", room: "general", id: doomed });
      await bo.next("deleted", (f) => f.id === doomed);
      const late = await uploadRest(
        s.url,
        started.body.id,
        data,
        100_000,
        creds,
      );
      expect(late.status).toBe(200);
      expect(late.body.message.text).toBe("slides.pdf");
      expect(late.body.message.parent).toBeUndefined();

      const refused = async (extra: Record<string, unknown>) => {
        const res = await createUpload(s.url, "general", {
          name: "x.pdf",
          size: 10,
          type: "application/pdf",
          ...extra,
        }, creds);
        return [res.status, res.body.error.message];
      };
      expect(await refused({ parent: 999 })).toEqual([
        404,
        "No message 999 in general",
      ]);
      expect(await refused({ parent: doomed })).toEqual([
        404,
        "The thread's first message was deleted: it takes no more replies",
      ]);
      expect(await refused({ parent: reply.id })).toEqual([
        400,
        `Bad parent: Invalid field parent: ${reply.id} is a reply; reply to ${root}`,
      ]);
      expect(await refused({ alsoInRoom: true })).toEqual([
        400,
        "Bad alsoInRoom: only a file posted to a thread (with parent) goes to the room too",
      ]);
      expect(await refused({ parent: root, purpose: "thumbnail" })).toEqual([
        400,
        "Bad parent: a thumbnail is posted with its file",
      ]);
      expect((await refused({ parent: 0 }))[0]).toBe(400);
      expect((await refused({ parent: "1" }))[0]).toBe(400);
      for (const c of [ana, bo]) await c.close();
    });
  },
);

Deno.test("uploads - limits, quota and bad input each answer a clear JSON error; nothing accepted is lost", async () => {
  await withServer({
    MAX_UPLOAD_BYTES: "1000",
    UPLOAD_QUOTA_BYTES: "2500",
  }, async (s) => {
    const cookie = await member(s, "ana");
    const creds = { cookie };
    const make = (size: number, extra: Record<string, unknown> = {}) =>
      createUpload(s.url, "general", {
        name: "a.bin",
        size,
        type: "application/octet-stream",
        ...extra,
      }, creds);
    const big = await make(1001);
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe(
      "File too large: 1,001 bytes, the limit is 1,000 bytes (1.0 KB)",
    );
    const a = await make(1000), b = await make(1000);
    expect([a.status, b.status]).toEqual([201, 201]);
    const over = await make(1000);
    expect(over.status).toBe(413);
    expect(over.body.error.message).toBe(
      "Upload quota exceeded: 2000 of 2500 bytes used, this file needs 1000",
    );
    expect((await make(500)).status).toBe(201);
    // Cancelling an unfinished upload frees its share.
    const cancel = await fetch(`${s.url}${b.body.uploadUrl}`, {
      method: "DELETE",
      headers: creds,
    });
    expect(cancel.status).toBe(204);
    expect((await make(1000)).status).toBe(201);

    for (
      const [body, status, message] of [
        [{ name: "a", size: 0, type: "" }, 400, /^Bad size/],
        [{ name: "a", size: 1.5, type: "" }, 400, /^Bad upload: size/],
        [{ name: "/", size: 10, type: "" }, 400, /^Bad name/],
        [
          { name: "a\u0000b", size: 10, type: "" },
          400,
          /^Bad name: Invalid text/,
        ],
        [{ size: 10 }, 400, /^Bad upload: name/],
      ] as const
    ) {
      const res = await createUpload(s.url, "general", body, creds);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const notJson = await fetch(`${s.url}/api/rooms/general/uploads`, {
      method: "POST",
      headers: { ...creds, "content-type": "text/plain" },
      body: "{}",
    });
    expect(notJson.status).toBe(415);
    expect((await notJson.json()).error.message).toBe(
      "Expected Content-Type: application/json",
    );
    const badJson = await fetch(`${s.url}/api/rooms/general/uploads`, {
      method: "POST",
      headers: { ...creds, "content-type": "application/json" },
      body: "{",
    });
    expect(badJson.status).toBe(400);
    const noRoom = await createUpload(s.url, "nowhere", {
      name: "a",
      size: 1,
      type: "",
    }, creds);
    expect(noRoom.status).toBe(404);
    const anonymous = await createUpload(s.url, "general", {
      name: "a",
      size: 1,
      type: "",
    }, {});
    expect(anonymous.status).toBe(403);

    const id = a.body.id;
    const put = (headers: Record<string, string>, body: Uint8Array) =>
      fetch(`${s.url}/api/uploads/${id}`, {
        method: "PUT",
        headers: { ...creds, ...headers },
        body: new Uint8Array(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    for (
      const [range, bytes, message] of [
        ["bytes=0-9", 10, /^Bad range: expected Content-Range/],
        ["bytes 0-9/999", 10, /^Bad range: the upload is 1000 bytes, not 999/],
        ["bytes 9-0/1000", 10, /^Bad range: .* is empty or ends past the file/],
        [
          "bytes 0-9/1000",
          5,
          /^Bad range: bytes 0-9\/1000 is 10 bytes, the body 5/,
        ],
        [
          "bytes 995-1004/*",
          10,
          /^Bad range: the upload is 1000 bytes, the range ends at byte 1004/,
        ],
      ] as const
    ) {
      const res = await put({ "content-range": range }, bytesOf(bytes));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect(await offset(s.url, id, creds)).toBe(0);

    // A cross-site request is refused before it is read.
    const forged = await fetch(`${s.url}/api/rooms/general/uploads`, {
      method: "POST",
      headers: {
        ...creds,
        "content-type": "application/json",
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
      },
      body: JSON.stringify({ name: "a", size: 1, type: "" }),
    });
    expect(forged.status).toBe(403);
    expect((await forged.json()).error.status).toBe(403);

    // A member of another public room who never joined it may not upload there.
    const bo = await account(s, "bo");
    const boSocket = await open(s, "bo", { cookie: bo });
    boSocket.send({ type: "create", room: "elsewhere" });
    await boSocket.next("room", (f) => (f.room as Frame).id === "elsewhere");
    const stranger = await createUpload(s.url, "elsewhere", {
      name: "a",
      size: 1,
      type: "",
    }, creds);
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.message).toBe("Join elsewhere to upload to it");
    await boSocket.close();
  });
});

Deno.test("uploads - a file's name loses its bidi controls: invoice[U+202E]fdp.exe is stored, posted and saved as invoicefdp.exe, not shown as invoiceexe.pdf", async () => {
  await withServer({}, async (s) => {
    const creds = { cookie: await member(s, "ana") };
    const { created, done } = await upload(s.url, "general", {
      name: "invoice\u202Efdp.exe",
      type: "application/pdf",
      data: new TextEncoder().encode("MZ\x90\x00 not a PDF"),
    }, creds);
    expect(created.status).toBe(201);
    expect(done.body.message.file.name).toBe("invoicefdp.exe");
    const got = await download(s.url, done.body.id, creds);
    expect(got.headers.get("content-disposition")).toBe(
      `attachment; filename="invoicefdp.exe"; filename*=UTF-8''invoicefdp.exe`,
    );
    // Every bidi control that reorders goes (direction marks stay); a name
    // of nothing else is refused.
    const all = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069";
    const named = await upload(s.url, "general", {
      name: `a${all}b.txt`,
      type: "text/plain",
      data: new TextEncoder().encode("hello"),
    }, creds);
    expect(named.done.body.message.file.name).toBe("ab.txt");
    const none = await createUpload(s.url, "general", {
      name: `${all}.`,
      size: 5,
      type: "text/plain",
    }, creds);
    expect(none.status).toBe(400);
    expect(none.body.error.message).toBe("Bad name: the file needs a name");
    // A carriage return is no line break in a name (nor a header's end),
    // and a long name of emoji is cut to 255 UTF-16 units, whole emoji.
    const crlf = await upload(s.url, "general", {
      name: "a\r\nX-Evil: 1.txt",
      type: "text/plain",
      data: new TextEncoder().encode("hello"),
    }, creds);
    expect(crlf.done.body.message.file.name).toBe("a X-Evil: 1.txt");
    expect(crlf.done.body.message.text).toBe("a X-Evil: 1.txt");
    const long = await upload(s.url, "general", {
      name: "😀".repeat(200) + ".txt",
      type: "text/plain",
      data: new TextEncoder().encode("hello"),
    }, creds);
    const longName: string = long.done.body.message.file.name;
    expect(longName.length).toBe(254);
    expect(longName).toBe("😀".repeat(127));
  });
});

Deno.test("uploads - guests of one address share a budget an hour: new tokens don't buy more; accounts are not limited by it", async () => {
  await withServer({
    MAX_UPLOAD_BYTES: "1000",
    UPLOAD_QUOTA_BYTES: "2500",
  }, async (s) => {
    const guests = [];
    for (const name of ["gus", "gia", "gil"]) {
      const g = await open(s, name);
      await join(g, "general");
      guests.push(g);
    }
    const start = (token: string) =>
      createUpload(s.url, "general", {
        name: "a.bin",
        size: 1000,
        type: "application/octet-stream",
      }, { "x-guest-token": token });
    const [gus, gia, gil] = guests.map((g) => welcome(g).token as string);
    expect((await start(gus)).status).toBe(201);
    expect((await start(gia)).status).toBe(201);
    // gil's own quota is untouched, but the address has spent 2000 of 2500.
    const over = await start(gil);
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(
      /^Guest upload limit: guests at this address may start 2500 bytes an hour; try again in \d+ min, or log in$/,
    );
    const cookie = await member(s, "ana");
    const ana = await createUpload(s.url, "general", {
      name: "a.bin",
      size: 1000,
      type: "application/octet-stream",
    }, { cookie });
    expect(ana.status).toBe(201);
    for (const g of guests) await g.close();
  });
});

Deno.test("uploads - deleting a file's message removes the file and its thumbnail and frees the quota", async () => {
  await withServer({ UPLOAD_QUOTA_BYTES: "20000" }, async (s) => {
    const cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    await join(ana, "general");
    const creds = { cookie };
    const thumb = await upload(s.url, "general", {
      name: "t.png",
      type: "image/png",
      purpose: "thumbnail",
      data: samples.png(8, 8),
    }, creds);
    const image = samples.png(100, 100);
    const { done } = await upload(s.url, "general", {
      name: "big.png",
      type: "image/png",
      thumbnail: thumb.created.body.id,
      data: image,
    }, creds);
    const { id } = done.body.message;
    const full = await createUpload(s.url, "general", {
      name: "more.bin",
      size: 20_000,
      type: "",
    }, creds);
    expect(full.status).toBe(413);
    ana.send({ type: "delete", room: "general", id });
    await ana.next("deleted", (f) => f.id === id);
    await until(async () =>
      (await download(s.url, done.body.id)).status === 404 &&
      (await download(s.url, thumb.created.body.id)).status === 404
    );
    const page = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    const stored = page.messages.find((m: Frame) => m.id === id);
    expect(stored).toMatchObject({ deleted: true, text: "" });
    expect(stored.file).toBeUndefined();
    expect(
      (await createUpload(s.url, "general", {
        name: "more.bin",
        size: 20_000,
        type: "",
      }, creds)).status,
    ).toBe(201);
    await ana.close();
  });
});

Deno.test("uploads - an uploader who left the room before the last byte gets 403; the upload stays unfinished, so it can be cancelled (quota freed) or finished after joining again", async () => {
  await withServer({ UPLOAD_QUOTA_BYTES: "2000" }, async (s) => {
    const cookie = await account(s, "ana");
    const creds = { cookie };
    const ana = await open(s, "ana", { cookie });
    await join(ana, "random");
    const data = pdf(1500);
    const start = async (size = data.length) => {
      const created = await createUpload(s.url, "random", {
        name: "notes.pdf",
        size,
        type: "application/pdf",
      }, creds);
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    // The nth `left` and `joined` of the room (`next` finds the first).
    const nth = (type: string) => {
      const n = ana.of(type).filter((f) => f.room === "random").length + 1;
      return ana.until(() =>
        ana.of(type).filter((f) => f.room === "random")[n - 1]
      );
    };
    const leave = () => {
      const left = nth("left");
      ana.send({ type: "leave", room: "random" });
      return left;
    };
    const rejoin = () => {
      const joined = nth("joined");
      ana.send({ type: "join", room: "random" });
      return joined;
    };
    const first = await start();
    await putRange(s.url, first, data.slice(0, 1000), 0, data.length, creds);
    await leave();
    const refused = await putRange(
      s.url,
      first,
      data.slice(1000),
      1000,
      data.length,
      creds,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe("Join random to post to it");
    // Never posted: nobody downloads it, and its uploader may cancel it.
    expect((await download(s.url, first)).status).toBe(404);
    const cancel = await fetch(`${s.url}/api/uploads/${first}`, {
      method: "DELETE",
      headers: { ...creds, origin: s.url },
    });
    expect(cancel.status).toBe(204);
    // The quota is free again; a file cut off the same way is posted once
    // its uploader is back in the room and sends the last piece again.
    await rejoin();
    const second = await start();
    await putRange(s.url, second, data.slice(0, 1000), 0, data.length, creds);
    await leave();
    const last = () =>
      putRange(s.url, second, data.slice(1000), 1000, data.length, creds);
    expect((await last()).status).toBe(403);
    await rejoin();
    const posted = await last();
    expect(posted.status).toBe(200);
    expect(posted.body.message).toMatchObject({ file: { id: second } });
    expect((await download(s.url, second)).bytes).toEqual(data);
    await ana.close();
  });
});

Deno.test("uploads - an upload left unfinished for a day is removed and its quota freed", async () => {
  await withServer({ UPLOAD_QUOTA_BYTES: "1000" }, async (s) => {
    const creds = { cookie: await member(s, "ana") };
    const left = await createUpload(s.url, "general", {
      name: "a.bin",
      size: 1000,
      type: "",
    }, creds);
    await putRange(s.url, left.body.id, bytesOf(10), 0, 1000, creds);
    const done = await upload(s.url, "general", {
      name: "b.txt",
      type: "text/plain",
      data: new TextEncoder().encode("kept"),
    }, { cookie: await member(s, "bo") });
    expect(await s.chat.uploads.expire(Date.now() + 60_000)).toBe(0);
    expect(await offset(s.url, left.body.id, creds)).toBe(10);
    expect(await s.chat.uploads.expire(Date.now() + 25 * 3600_000)).toBe(1);
    expect(await offset(s.url, left.body.id, creds)).toBe(null);
    expect((await download(s.url, done.done.body.id)).status).toBe(200);
    const again = await createUpload(s.url, "general", {
      name: "a.bin",
      size: 1000,
      type: "",
    }, creds);
    expect(again.status).toBe(201);
  });
});

testOnBothBackends(
  "uploads - a thumbnail is one file's; it goes with its file's cancelled, refused or abandoned upload, and one no file claimed is removed after a day; the quota is freed",
  async (env) => {
    await withServer({ ...env, UPLOAD_QUOTA_BYTES: "100000" }, async (s) => {
      const creds = { cookie: await member(s, "ana") };
      const thumbnail = async (name: string) => {
        const { done } = await upload(s.url, "general", {
          name,
          type: "image/png",
          data: samples.png(8, 8),
          purpose: "thumbnail",
        }, creds);
        expect(done.status).toBe(200);
        return done.body.id as string;
      };
      const startWith = async (thumb: string) => {
        const res = await createUpload(s.url, "general", {
          name: "photo.png",
          size: 5000,
          type: "image/png",
          thumbnail: thumb,
        }, creds);
        expect(res.status).toBe(201);
        return res.body.id as string;
      };
      const usage = () => s.chat.store.files.usage("account:ana");
      const thumbs = await Promise.all(
        ["a", "b", "c", "d", "e", "f"].map((n) => thumbnail(`${n}.png`)),
      );
      const thumbBytes = (await usage()) / 6;
      const [cancelled, abandoned, orphan, kept, shared, refused] = thumbs;
      const gone = async (id: string) =>
        (await s.chat.store.files.get(id)) === null;

      // A thumbnail is one file's: a second file naming it is refused.
      const owner = await startWith(shared);
      const reused = await createUpload(s.url, "general", {
        name: "copy.png",
        size: 5000,
        type: "image/png",
        thumbnail: shared,
      }, creds);
      expect([reused.status, reused.body.error.message]).toEqual([
        400,
        `Bad thumbnail: ${shared} belongs to another file`,
      ]);
      // Refused for its bytes (not the PNG it says it is): the thumbnail goes.
      const html = new TextEncoder().encode("<!doctype html><p>hi</p>");
      const fake = await upload(s.url, "general", {
        name: "fake.png",
        type: "image/png",
        data: html,
        thumbnail: refused,
      }, creds);
      expect(fake.done.status).toBe(415);
      expect(await gone(fake.created.body.id) && await gone(refused)).toBe(
        true,
      );
      // Cancelled: the upload and its thumbnail go.
      await fetch(`${s.url}/api/uploads/${owner}`, {
        method: "DELETE",
        headers: creds,
      }).then((r) => r.body?.cancel());
      expect(await gone(owner) && await gone(shared)).toBe(true);
      const first = await startWith(cancelled);
      const res = await fetch(`${s.url}/api/uploads/${first}`, {
        method: "DELETE",
        headers: creds,
      });
      expect(res.status).toBe(204);
      expect(await gone(first) && await gone(cancelled)).toBe(true);
      expect(await usage()).toBe(3 * thumbBytes);

      // Abandoned halfway, and a thumbnail whose file never started: both
      // go after a day; a thumbnail whose file was posted stays.
      const second = await startWith(abandoned);
      await putRange(s.url, second, bytesOf(100), 0, 5000, creds);
      const posted = await upload(s.url, "general", {
        name: "kept.png",
        type: "image/png",
        data: samples.png(64, 64),
        thumbnail: kept,
      }, creds);
      expect(posted.done.status).toBe(200);
      const keptBytes = samples.png(64, 64).length + thumbBytes;
      expect(await s.chat.uploads.expire(Date.now() + 60_000)).toBe(0);
      expect(await s.chat.uploads.expire(Date.now() + 25 * 3600_000)).toBe(2);
      for (const id of [second, abandoned, orphan]) {
        expect(await gone(id)).toBe(true);
      }
      expect(await gone(kept)).toBe(false);
      expect(await usage()).toBe(keptBytes);
      expect((await download(s.url, kept, creds)).status).toBe(200);
    });
  },
);

testOnBothBackends(
  "uploads - the last piece sent several times at once is answered with the same message by each, posted once",
  async (env) => {
    await withServer(env, async (s) => {
      const creds = { cookie: await member(s, "ana") };
      const data = pdf(600_000);
      const created = await createUpload(s.url, "general", {
        name: "twice.pdf",
        size: data.length,
        type: "application/pdf",
      }, creds);
      const { id } = created.body;
      const first = await putRange(
        s.url,
        id,
        data.slice(0, 100_000),
        0,
        data.length,
        creds,
      );
      expect(first.status).toBe(200);
      // A flaky network makes the client send the rest again and again.
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          putRange(
            s.url,
            id,
            data.slice(100_000),
            100_000,
            data.length,
            creds,
          )),
      );
      expect(answers.map((a) => [a.status, a.body.error?.message])).toEqual(
        Array(4).fill([200, undefined]),
      );
      const ids = new Set(answers.map((a) => a.body.message.id));
      expect(ids.size).toBe(1);
      expect((await download(s.url, id)).bytes).toEqual(data);
      const page = await (await fetch(`${s.url}/api/rooms/general/messages`))
        .json();
      expect(
        page.messages.filter((m: Frame) => (m.file as Frame)?.id === id)
          .length,
      ).toBe(1);
    });
  },
);

/**
 * Starts a server on `env` twice over one store: an upload is finished,
 * another left halfway, the server stops; after the restart both are there,
 * the finished one downloads and the other resumes.
 */
async function survivesRestart(
  env: Record<string, string>,
  after?: (s: Server, file: string) => Promise<void>,
): Promise<void> {
  const config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "fatal",
    MEMBERSHIP_EVENT_WINDOW_MS: "60000",
    ...env,
  });
  const whole = pdf(200_000);
  const half = samples.png(300, 300);
  let s: Server = await startServer(config);
  let cookie: string, done: string, pending: string, privateFile: string;
  try {
    cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    ana.send({ type: "create", room: "vault", private: true });
    await ana.next("room", (f) => (f.room as Frame).id === "vault");
    await ana.close();
    const first = await upload(
      s.url,
      "general",
      {
        name: "a.pdf",
        type: "application/pdf",
        data: whole,
      },
      { cookie },
      50_000,
    );
    expect(first.done.body.complete).toBe(true);
    done = first.created.body.id;
    const second = await createUpload(s.url, "general", {
      name: "b.png",
      type: "image/png",
      size: half.length,
    }, { cookie });
    pending = second.body.id;
    await putRange(s.url, pending, half.slice(0, 500), 0, half.length, {
      cookie,
    });
    const secret = await upload(s.url, "vault", {
      name: "s.pdf",
      type: "application/pdf",
      data: pdf(3000),
    }, { cookie });
    privateFile = secret.created.body.id;
  } finally {
    await s.shutdown();
  }
  s = await startServer(config);
  try {
    const session = `sid=${(await s.auth.sessions.create("ana")).id}`;
    expect((await download(s.url, done)).bytes).toEqual(whole);
    expect(await offset(s.url, pending, { cookie: session })).toBe(500);
    const rest = await uploadRest(s.url, pending, half, 100_000, {
      cookie: session,
    });
    expect(rest.body.file).toMatchObject({
      type: "image/png",
      width: 300,
      height: 300,
    });
    expect((await download(s.url, pending)).bytes).toEqual(half);
    expect((await download(s.url, privateFile)).status).toBe(404);
    expect((await download(s.url, privateFile, { cookie: session })).status)
      .toBe(200);
    const page = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    expect(
      page.messages.map((m: Frame) => (m.file as Frame | undefined)?.id)
        .filter(Boolean),
    ).toEqual([done, pending]);
    await after?.(s, done);
  } finally {
    await s.shutdown();
  }
}

Deno.test("uploads - files and unfinished uploads survive a restart (Deno KV file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat_uploads_" });
  try {
    await survivesRestart({ KV_PATH: `${dir}/chat.kv` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uploads - files and unfinished uploads survive a restart; an outage is a 503 (PostgreSQL)", async () => {
  await using pg = await startPostgres();
  const url = await pg.createDatabase("uploads");
  await survivesRestart(
    { DATABASE_URL: url, KV_PATH: ":memory:" },
    async (s, file) => {
      // While PostgreSQL is down a file is a 503, then it is back.
      await pg.crash();
      const down = await download(s.url, file);
      expect(down.status).toBe(503);
      expect(JSON.parse(new TextDecoder().decode(down.bytes)).error.status)
        .toBe(503);
      await pg.start();
      await until(async () => (await download(s.url, file)).status === 200, {
        ms: 20_000,
      });
    },
  );
});

testOnBothBackends(
  "uploads - a file or upload id no upload has (a NUL, a slash, a space) is a JSON 404, not looked up",
  async (env) => {
    await withServer(env, async (s) => {
      for (
        const path of [
          "/api/files/abc%00",
          "/api/files/a%2Fb",
          "/api/files/a%20b",
          "/api/uploads/abc%00",
        ]
      ) {
        const res = await fetch(s.url + path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect((await res.json()).error.status).toBe(404);
      }
    });
  },
);

Deno.test("uploads - a file sent by someone whose join still waits in its window comes after their joined line", async () => {
  // A window longer than the test: only the upload can bring the event.
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "60000" }, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    owner.send({ type: "create", room: "den" });
    await owner.next("room", (f) => (f.room as Frame).id === "den");
    await join(owner, "den");
    const cookie = await account(s, "erin");
    const erin = await open(s, "erin", { cookie });
    await join(erin, "den");
    const { done } = await upload(s.url, "den", {
      name: "notes.pdf",
      type: "application/pdf",
      data: pdf(2_000),
    }, { cookie });
    expect(done.status).toBe(200);
    const file = await owner.next(
      "message",
      (f) => f.room === "den" && f.file !== undefined,
    );
    const joined = owner.of("message").find((f) =>
      f.room === "den" && (f.event as Frame | undefined)?.kind === "joined"
    );
    expect(joined?.event).toMatchObject({ users: ["erin"] });
    expect(joined!.id as number).toBeLessThan(file.id as number);
    await Promise.all([owner.close(), erin.close()]);
  });
});
