import { expect } from "expect";
import { mediaTypeOf } from "./media_type.ts";

Deno.test("media type - lower-cased, parameters left out; undefined without the header", () => {
  const of = (type?: string) =>
    mediaTypeOf(
      new Headers(type === undefined ? {} : { "content-type": type }),
    );
  expect(of("Application/JSON; Charset=UTF-8")).toBe("application/json");
  expect(of(" multipart/Form-Data ; boundary=X")).toBe("multipart/form-data");
  expect(of("text/plain")).toBe("text/plain");
  expect(of()).toBeUndefined();
});
