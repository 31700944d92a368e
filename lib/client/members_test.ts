import { expect } from "expect";
import type { MemberEntry } from "@/lib/shared/protocol.ts";
import { byPresence, mergeMembers, withPresence } from "./members.ts";

const m = (name: string, status: MemberEntry["status"]): MemberEntry => ({
  name,
  guest: false,
  status,
});

Deno.test("members - online first, then away, each by name, then offline in the order listed", () => {
  const list = [
    m("zed", "online"),
    m("yan", "offline"),
    m("bo", "away"),
    m("al", "online"),
    m("amy", "offline"),
  ];
  expect(list.sort(byPresence).map((x) => x.name)).toEqual([
    "al",
    "zed",
    "bo",
    "yan",
    "amy",
  ]);
});

Deno.test("members - a presence change leaves the offline rows where the server's pages put them", () => {
  const list = [m("al", "online"), m("m9", "offline"), m("m1", "offline")];
  expect(
    withPresence(list, [m("al", "offline"), m("bo", "online")]).map((x) =>
      x.name
    ),
  ).toEqual(["bo", "al", "m9", "m1"]);
});

Deno.test("members - a later page skips names already listed", () => {
  expect(
    mergeMembers([m("a", "online")], [m("a", "online"), m("b", "offline")])
      .map((x) => x.name),
  ).toEqual(["a", "b"]);
});

Deno.test("members - presence changes update listed people and add those who came online", () => {
  const list = [m("a", "online"), m("b", "offline")];
  expect(
    withPresence(list, [m("b", "online"), m("c", "away"), m("d", "offline")]),
  ).toEqual([m("a", "online"), m("b", "online"), m("c", "away")]);
  expect(withPresence(list, [])).toEqual(list);
});

Deno.test("members - someone who left the room is dropped, not kept as offline", () => {
  const list = [m("a", "online"), m("b", "online"), m("c", "offline")];
  expect(
    withPresence(list, [{ ...m("b", "offline"), left: true }, {
      ...m("z", "offline"),
      left: true,
    }]),
  ).toEqual([m("a", "online"), m("c", "offline")]);
});
