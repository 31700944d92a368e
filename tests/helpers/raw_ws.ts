/**
 * A hostile WebSocket client over a bare TCP connection: it does the
 * handshake by hand, then writes frames of any size (or stops reading), as
 * a browser never would.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A connection after a handshake, with what came after the 101 headers. */
export interface RawSocket {
  conn: Deno.Conn;
  /** The response's status line, e.g. `HTTP/1.1 101 Switching Protocols`. */
  status: string;
}

/** Opens `path` on `port` as a WebSocket without reading any frame. */
export async function rawUpgrade(
  port: number,
  path: string,
): Promise<RawSocket> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  ));
  // Read byte by byte up to the blank line, so no frame is consumed.
  const head: number[] = [];
  const one = new Uint8Array(1);
  while (head.length < 8192) {
    const n = await conn.read(one);
    if (n === null) break;
    head.push(one[0]);
    const l = head.length;
    if (
      l >= 4 && head[l - 4] === 13 && head[l - 3] === 10 &&
      head[l - 2] === 13 && head[l - 1] === 10
    ) break;
  }
  const status =
    new TextDecoder().decode(new Uint8Array(head)).split("\r\n")[0];
  return { conn, status };
}

/** The header of a masked client frame of `length` bytes with `opcode`. */
export function frameHeader(length: number, opcode = 0x1): Uint8Array {
  const mask = [1, 2, 3, 4];
  if (length < 126) {
    return new Uint8Array([0x80 | opcode, 0x80 | length, ...mask]);
  }
  if (length < 65_536) {
    return new Uint8Array([
      0x80 | opcode,
      0x80 | 126,
      length >> 8,
      length & 255,
      ...mask,
    ]);
  }
  const h = new Uint8Array(14);
  h[0] = 0x80 | opcode;
  h[1] = 0x80 | 127;
  new DataView(h.buffer).setBigUint64(2, BigInt(length));
  h.set(mask, 10);
  return h;
}

/** A complete masked text frame carrying `text`. */
export function textFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const header = frameHeader(payload.length);
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  const mask = header.subarray(header.length - 4);
  for (let i = 0; i < payload.length; i++) {
    frame[header.length + i] = payload[i] ^ mask[i % 4];
  }
  return frame;
}

/**
 * Writes a frame announcing `length` bytes and then its payload in 1 MiB
 * pieces until done or the server cuts the connection; resolves to the
 * bytes of payload written.
 */
export async function writeHugeFrame(
  conn: Deno.Conn,
  length: number,
): Promise<number> {
  let sent = 0;
  try {
    await conn.write(frameHeader(length));
    const piece = new Uint8Array(1 << 20);
    while (sent < length) {
      sent += await conn.write(
        piece.subarray(0, Math.min(piece.length, length - sent)),
      );
    }
  } catch { /* cut off by the server: what the test expects */ }
  return sent;
}

/**
 * Reads until the connection ends; resolves to how it ended: `"eof"` (a
 * normal close), `"reset"` (a TCP reset) or `"timeout"` after `ms`.
 */
export async function readToEnd(
  conn: Deno.Conn,
  ms: number,
): Promise<"eof" | "reset" | "timeout"> {
  const buf = new Uint8Array(1 << 16);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) =>
    timer = setTimeout(() => r("timeout"), ms)
  );
  try {
    for (;;) {
      const read = conn.read(buf);
      read.catch(() => {});
      const n = await Promise.race([read, timeout]);
      if (n === "timeout") return "timeout";
      if (n === null) return "eof";
    }
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return "reset";
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
