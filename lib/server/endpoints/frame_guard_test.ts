import { expect } from "expect";
import { ABUSE_STRIKES, FrameGuard } from "./frame_guard.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";

const limits = { maxFrameBytes: 30, ratePerSecond: 0.001, rateBurst: 2 };

Deno.test("frame guard - text within the limit is admitted; binary and oversized frames close", () => {
  const guard = new FrameGuard(limits);
  expect(guard.admit("hello")).toEqual({ text: "hello" });
  // 10 characters, 30 bytes: exactly the limit.
  expect(guard.admit("안".repeat(10))).toEqual({ text: "안".repeat(10) });
  expect(guard.admit("안".repeat(11))).toEqual({
    refuse: { code: CLOSE.tooBig, reason: "Frame over 30 bytes" },
  });
  expect(guard.admit(new Uint8Array(3))).toEqual({
    refuse: {
      code: CLOSE.unsupported,
      reason: "Binary frames are not supported",
    },
  });
});

Deno.test("frame guard - over the rate, messages are limited, then the connection is abusive", () => {
  const guard = new FrameGuard(limits);
  expect(guard.spend()).toBe("ok");
  expect(guard.spend()).toBe("ok");
  for (let i = 1; i < ABUSE_STRIKES; i++) expect(guard.spend()).toBe("limited");
  expect(guard.spend()).toBe("abusive");
});
