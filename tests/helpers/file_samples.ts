/**
 * Small files of each kind sniffing knows, built byte by byte (headers
 * only, enough for a signature and a size), for the upload tests.
 *
 * @module
 */
import { deflateSync } from "node:zlib";

function concat(...parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const arrays = parts.map((p) =>
    p instanceof Uint8Array ? p : Uint8Array.from(p)
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const ascii = (s: string) => new TextEncoder().encode(s);
const u32be = (
  n: number,
) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u16be = (n: number) => [(n >>> 8) & 255, n & 255];
const u16le = (n: number) => [n & 255, (n >>> 8) & 255];
const u24le = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];
const u32le = (
  n: number,
) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat(ascii(type), data);
  return concat(u32be(data.length), body, u32be(crc32(body)));
}

/** Sample files, each a function of the wanted size where it has one. */
export const samples = {
  /** A valid RGB PNG of `width` × `height` grey pixels. */
  png(width: number, height: number): Uint8Array<ArrayBuffer> {
    const row = new Uint8Array(1 + width * 3).fill(128);
    row[0] = 0;
    const raw = new Uint8Array(row.length * height);
    for (let y = 0; y < height; y++) raw.set(row, y * row.length);
    return concat(
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      pngChunk(
        "IHDR",
        Uint8Array.from([...u32be(width), ...u32be(height), 8, 2, 0, 0, 0]),
      ),
      pngChunk("IDAT", new Uint8Array(deflateSync(raw))),
      pngChunk("IEND", new Uint8Array(0)),
    );
  },
  /** A GIF header (logical screen `width` × `height`) and its trailer. */
  gif(width: number, height: number): Uint8Array {
    return concat(ascii("GIF89a"), u16le(width), u16le(height), [
      0,
      0,
      0,
      0x3b,
    ]);
  },
  /** A JPEG's start: SOI, a JFIF APP0, and a baseline SOF0 of the size. */
  jpeg(width: number, height: number): Uint8Array {
    return concat(
      [0xff, 0xd8],
      [0xff, 0xe0, ...u16be(16)],
      ascii("JFIF\0"),
      [1, 1, 0, 0, 1, 0, 1, 0, 0],
      [0xff, 0xc0, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3],
      [1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
      [0xff, 0xd9],
    );
  },
  /** A WebP with a VP8X header of the size. */
  webp(width: number, height: number): Uint8Array {
    const vp8x = concat(
      ascii("VP8X"),
      u32le(10),
      [0, 0, 0, 0],
      u24le(width - 1),
      u24le(height - 1),
    );
    return concat(ascii("RIFF"), u32le(4 + vp8x.length), ascii("WEBP"), vp8x);
  },
  /** A ZIP holding one stored file `a.txt` ("hi"). */
  zip(): Uint8Array {
    const name = ascii("a.txt");
    const data = ascii("hi");
    const crc = crc32(data);
    const local = concat(
      u32le(0x04034b50),
      u16le(20),
      u16le(0),
      u16le(0),
      u16le(0),
      u16le(0),
      u32le(crc),
      u32le(data.length),
      u32le(data.length),
      u16le(name.length),
      u16le(0),
      name,
      data,
    );
    const central = concat(
      u32le(0x02014b50),
      u16le(20),
      u16le(20),
      u16le(0),
      u16le(0),
      u16le(0),
      u16le(0),
      u32le(crc),
      u32le(data.length),
      u32le(data.length),
      u16le(name.length),
      u16le(0),
      u16le(0),
      u16le(0),
      u16le(0),
      u32le(0),
      u32le(0),
      name,
    );
    const end = concat(
      u32le(0x06054b50),
      u16le(0),
      u16le(0),
      u16le(1),
      u16le(1),
      u32le(central.length),
      u32le(local.length),
      u16le(0),
    );
    return concat(local, central, end);
  },
};
