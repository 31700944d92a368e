import { expect } from "expect";
import { handler } from "./about.tsx";

// Files named *_test beside routes are tests, never routes.
Deno.test("fs_app about - the handler gives the page its title", async () => {
  const result = await handler.GET();
  expect(result).toEqual({ data: { title: "About" } });
});
