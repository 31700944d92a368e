import { expect } from "expect";
import { fold, ROOM_ID, USER_NAME } from "./names.ts";

Deno.test("names - fold makes case and full-width forms one name", () => {
  expect(fold("Ann")).toBe(fold("ann"));
  expect(fold("ＡＮＮ")).toBe("ann");
  expect(fold("Mina")).not.toBe(fold("Nina"));
  expect(fold("지수")).toBe("지수");
});

Deno.test("names - room ids and user names follow their rules", () => {
  expect(ROOM_ID.test("general")).toBe(true);
  expect(ROOM_ID.test("-general")).toBe(false);
  expect(USER_NAME.test("지수.kim")).toBe(true);
  expect(USER_NAME.test("a b")).toBe(false);
});
