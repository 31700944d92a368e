import { expect } from "expect";
import { ROOM_ID } from "@/lib/shared/names.ts";
import { dmRoomId } from "./dm.ts";

Deno.test("dm - one room id per pair, whichever side starts, and a valid room id", () => {
  const id = dmRoomId("account:ana", "account:bo");
  expect(id).toBe(dmRoomId("account:bo", "account:ana"));
  expect(id).toMatch(/^dm-[a-z2-7]{24}$/);
  expect(ROOM_ID.test(id)).toBe(true);
  expect(dmRoomId("account:ana", "account:cy")).not.toBe(id);
});
