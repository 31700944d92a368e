import { expect } from "expect";
import { fileHeaders, filenameParams } from "./file_headers.ts";

Deno.test("file headers - a name stored with bidi controls is saved without them, so it can't pose as another type", () => {
  expect(filenameParams("invoice\u202Efdp.exe")).toBe(
    `filename="invoicefdp.exe"; filename*=UTF-8''invoicefdp.exe`,
  );
  const headers = fileHeaders({
    type: "application/octet-stream",
    name: "\u2067report\u2069.exe",
    size: 10,
    id: "f1",
    publicRoom: true,
  });
  expect(headers.get("content-disposition")).toBe(
    `attachment; filename="report.exe"; filename*=UTF-8''report.exe`,
  );
});
