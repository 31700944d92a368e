import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import { FileCard } from "./FileCard.tsx";

Deno.test("FileCard - a name with bidi controls reads as it is: isolated, without them, in the card, its download name and an image's alt", () => {
  const card = renderToString(
    <FileCard
      file={{
        id: "f1",
        name: "invoice\u202Efdp.exe",
        size: 8,
        type: "application/octet-stream",
      }}
    />,
  );
  expect(card).toContain('download="invoicefdp.exe"');
  expect(card).toContain('<bdi class="file-name">invoicefdp.exe</bdi>');
  expect(card).not.toContain("\u202E");
  const image = renderToString(
    <FileCard
      file={{
        id: "f2",
        name: "cat\u202Egnp.exe",
        size: 8,
        type: "image/png",
        width: 1,
        height: 1,
      }}
    />,
  );
  expect(image).toContain('alt="catgnp.exe"');
});
