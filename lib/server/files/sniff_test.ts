import { expect } from "expect";
import { sniff } from "./sniff.ts";
import { samples } from "@/tests/helpers/file_samples.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sniff - raster images by signature, with their size", async () => {
  expect(await sniff(samples.png(3, 2))).toEqual({
    type: "image/png",
    width: 3,
    height: 2,
  });
  expect(await sniff(samples.gif(640, 480))).toEqual({
    type: "image/gif",
    width: 640,
    height: 480,
  });
  expect(await sniff(samples.jpeg(1024, 768))).toEqual({
    type: "image/jpeg",
    width: 1024,
    height: 768,
  });
  expect(await sniff(samples.webp(300, 200))).toEqual({
    type: "image/webp",
    width: 300,
    height: 200,
  });
});

Deno.test("sniff - documents and archives by signature", async () => {
  expect(await sniff(text("%PDF-1.7\n%âãÏÓ\n1 0 obj"))).toEqual({
    type: "application/pdf",
  });
  expect(await sniff(samples.zip())).toEqual({ type: "application/zip" });
});

Deno.test("sniff - text is plain unless a browser could take it for markup", async () => {
  expect(await sniff(text("hello\nworld\t한국어 ✓"))).toEqual({
    type: "text/plain",
  });
  expect(await sniff(text("a < b and c > d"))).toEqual({ type: "text/plain" });
  for (
    const html of [
      "<!DOCTYPE html><p>hi",
      "  \n<html><body>x",
      "<script>alert(1)</script>",
      "\ufeff<iframe src=x>",
      "just text then <script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
    ]
  ) {
    expect((await sniff(text(html))).type).toBe("text/html");
  }
  expect(
    await sniff(
      text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ),
  ).toEqual({ type: "image/svg+xml" });
  expect(await sniff(text("<svg onload=alert(1)>"))).toEqual({
    type: "image/svg+xml",
  });
  expect(await sniff(text('<?xml version="1.0"?><a/>'))).toEqual({
    type: "application/xml",
  });
});

Deno.test("sniff - a multi-byte character cut at the end is still text; binary is not", async () => {
  const cut = text("안녕하세요").slice(0, 7);
  expect(await sniff(cut)).toEqual({ type: "text/plain" });
  expect(await sniff(new Uint8Array([1, 2, 3, 0, 250, 251]))).toEqual({
    type: "application/octet-stream",
  });
  // The signature and header are enough: the type and size are known.
  expect(await sniff(samples.png(3, 2).slice(0, 33))).toEqual({
    type: "image/png",
    width: 3,
    height: 2,
  });
});
