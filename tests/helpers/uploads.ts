/**
 * An upload client for the tests, speaking the HTTP API as a browser would:
 * create, `PUT` in pieces with `Content-Range`, ask the offset, download;
 * and a raw connection that sends part of a body and hangs up, as a dropped
 * network does.
 *
 * @module
 */

/** Credentials of a request: an account's cookie or a guest's token. */
export type Creds = Record<string, string>;

/** A JSON answer with its status and headers. */
export interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? JSON.parse(text) : null,
  };
}

/** `POST /api/rooms/{room}/uploads`. */
export async function createUpload(
  base: string,
  room: string,
  upload: Record<string, unknown>,
  creds: Creds,
): Promise<Answer> {
  return await answer(
    await fetch(`${base}/api/rooms/${room}/uploads`, {
      method: "POST",
      headers: { "content-type": "application/json", ...creds },
      body: JSON.stringify(upload),
    }),
  );
}

/** `PUT` of `bytes` at `start` of an upload of `size` bytes. */
export async function putRange(
  base: string,
  id: string,
  bytes: Uint8Array,
  start: number,
  size: number,
  creds: Creds,
): Promise<Answer> {
  return await answer(
    await fetch(`${base}/api/uploads/${id}`, {
      method: "PUT",
      headers: {
        "content-range": `bytes ${start}-${start + bytes.length - 1}/${size}`,
        "content-type": "application/octet-stream",
        ...creds,
      },
      body: new Uint8Array(bytes),
    }),
  );
}

/** The stored offset of an upload, from `HEAD`; null when there is none. */
export async function offset(
  base: string,
  id: string,
  creds: Creds,
): Promise<number | null> {
  const res = await fetch(`${base}/api/uploads/${id}`, {
    method: "HEAD",
    headers: creds,
  });
  await res.body?.cancel();
  return res.ok ? Number(res.headers.get("upload-offset")) : null;
}

/**
 * Uploads `data` in pieces of `piece` bytes from where the stored bytes end,
 * as a client resuming does; returns the last answer.
 */
export async function uploadRest(
  base: string,
  id: string,
  data: Uint8Array,
  piece: number,
  creds: Creds,
): Promise<Answer> {
  let at = (await offset(base, id, creds))!;
  let last: Answer | undefined;
  while (at < data.length) {
    const end = Math.min(data.length, at + piece);
    last = await putRange(
      base,
      id,
      data.slice(at, end),
      at,
      data.length,
      creds,
    );
    if (last.status !== 200) return last;
    at = last.body.received;
  }
  return last!;
}

/** Creates an upload of `data` and sends it all in pieces. */
export async function upload(
  base: string,
  room: string,
  file: { name: string; type: string; data: Uint8Array; [k: string]: unknown },
  creds: Creds,
  piece = 100_000,
): Promise<{ created: Answer; done: Answer }> {
  const { data, ...rest } = file;
  const created = await createUpload(base, room, {
    ...rest,
    size: data.length,
  }, creds);
  if (created.status !== 201) return { created, done: created };
  const done = await uploadRest(base, created.body.id, data, piece, creds);
  return { created, done };
}

/** `GET /api/files/{id}`: status, headers and bytes. */
export async function download(
  base: string,
  id: string,
  creds: Creds = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(`${base}/api/files/${id}`, {
    headers: { ...creds, ...headers },
  });
  return {
    status: res.status,
    headers: res.headers,
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

/** Opens a connection to `base` and writes a PUT of `data[start, end)` with only `sent` bytes of its body. */
async function partialPut(
  base: string,
  id: string,
  data: Uint8Array,
  [start, end, sent]: [number, number, number],
  creds: Creds,
  extra: string[] = [],
): Promise<Deno.Conn> {
  const url = new URL(base);
  const conn = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  const head = [
    `PUT /api/uploads/${id} HTTP/1.1`,
    `Host: ${url.host}`,
    `Content-Range: bytes ${start}-${end - 1}/${data.length}`,
    `Content-Length: ${end - start}`,
    "Content-Type: application/octet-stream",
    ...extra,
    ...Object.entries(creds).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");
  await writeAll(conn, new TextEncoder().encode(head));
  await writeAll(conn, data.slice(start, start + sent));
  return conn;
}

/**
 * Sends a `PUT` of `range` with only `sent` of its bytes over a raw
 * connection, then hangs up: a connection dropped mid-upload.
 */
export async function putAndHangUp(
  base: string,
  id: string,
  data: Uint8Array,
  start: number,
  end: number,
  sent: number,
  creds: Creds,
): Promise<void> {
  (await partialPut(base, id, data, [start, end, sent], creds)).close();
}

/**
 * PUTs `data[start, end)` but sends only `sent` bytes of the body, then
 * waits, the connection open, for the server's answer: its status line and
 * the rest of what it wrote.
 */
export async function putAndStall(
  base: string,
  id: string,
  data: Uint8Array,
  start: number,
  end: number,
  sent: number,
  creds: Creds,
): Promise<string> {
  const conn = await partialPut(base, id, data, [start, end, sent], creds, [
    "Connection: close",
  ]);
  try {
    return await new Response(conn.readable).text();
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by reading to its end.
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** Deterministic bytes of any length. */
export function bytesOf(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
