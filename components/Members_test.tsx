import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import type { MemberEntry } from "@/lib/shared/protocol.ts";
import { Members, type MembersProps } from "./Members.tsx";

const users: MemberEntry[] = [
  { name: "ana", guest: false, status: "online" },
  { name: "ben", guest: false, status: "away" },
  { name: "gus", guest: true, status: "offline" },
];
const base: MembersProps = {
  users,
  total: 40,
  online: 2,
  more: true,
  typing: [],
  me: "ana",
  account: true,
  manage: false,
};

Deno.test("Members - presence shown and spoken; Message only between accounts; more on demand", () => {
  const html = renderToString(<Members {...base} />);
  expect(html).toContain("Members — 40");
  // Read as one heading: the total and the online count apart.
  expect(html).toMatch(/Members — 40 <span class="online-count">\(2 online\)/);
  expect(html).toMatch(/<li class="away">.*ben.*\(away\)/);
  expect(html).toMatch(/<li class="offline">.*gus.*\(offline\)/);
  expect(html.match(/Message<span class="sr-only"> (\w+)/g)).toEqual([
    'Message<span class="sr-only"> ben',
  ]);
  expect(html).toContain("More members");
  expect(html).not.toContain("Invite");
  expect(html).not.toContain("Remove");
  const guest = renderToString(
    <Members {...base} account={false} more={false} />,
  );
  expect(guest).not.toContain("Message");
  expect(guest).not.toContain("More members");
});

Deno.test("Members - a private room's moderator gets Invite and Remove (not for themself)", () => {
  const html = renderToString(<Members {...base} manage />);
  expect(html).toContain('<label for="invite-user">Invite someone</label>');
  expect(html.match(/Remove<span class="sr-only"> (\w+)/g)).toEqual([
    'Remove<span class="sr-only"> ben',
    'Remove<span class="sr-only"> gus',
  ]);
});
