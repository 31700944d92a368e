import { expect } from "expect";
import { formatSize, tooLarge } from "./file_size.ts";

Deno.test("file size - bytes, KB and MB as people read them", () => {
  expect(formatSize(980)).toBe("980 B");
  expect(formatSize(12_345)).toBe("12.3 KB");
  expect(formatSize(4_500_000)).toBe("4.5 MB");
});

Deno.test("file size - a refusal names both sizes readably, exactly when they would round alike", () => {
  expect(tooLarge(12_000_000, 10_485_760)).toBe(
    "12.0 MB, the limit is 10.5 MB",
  );
  expect(tooLarge(10_485_770, 10_485_760)).toBe(
    "10,485,770 bytes, the limit is 10,485,760 bytes (10.5 MB)",
  );
  expect(tooLarge(2000, 1000)).toBe("2.0 KB, the limit is 1.0 KB");
});
