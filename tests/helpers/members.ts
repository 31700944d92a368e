/**
 * Native clients for the membership tests: guests (with a token to come
 * back as the same person) and accounts (with a session cookie), and the
 * frames those tests wait for.
 *
 * @module
 */
import type { Server } from "./server.ts";
import { wsUrl } from "./server.ts";
import { Client, type Frame } from "./ws_client.ts";

const PASSWORD = "correct horse battery staple";

/** Who connects: a guest (maybe with its token) or an account. */
export interface Who {
  /** An account's session cookie, from {@link account}. */
  cookie?: string;
  /** A guest's token from an earlier `welcome`. */
  token?: string;
}

/** Registers the account `name` and returns its session cookie. */
export async function account(s: Server, name: string): Promise<string> {
  if (!(await s.auth.accounts.isReserved(name))) {
    await s.auth.accounts.register(name, PASSWORD);
  }
  return `sid=${(await s.auth.sessions.create(name)).id}`;
}

/** Connects `name` and waits for `welcome`. */
export async function open(
  s: { url: string },
  name: string,
  who: Who = {},
): Promise<Client> {
  const token = who.token ? `&token=${who.token}` : "";
  const c = new Client(
    wsUrl(s, `/ws?name=${encodeURIComponent(name)}${token}`),
    who.cookie ? { headers: { cookie: who.cookie } } : {},
  );
  await c.next("welcome");
  return c;
}

/** The `welcome` frame a client got. */
export function welcome(c: Client): Frame {
  return c.of("welcome")[0];
}

/** The rooms `welcome` listed, by id. */
export function welcomeRooms(c: Client): Map<string, Frame> {
  const rooms = welcome(c).rooms as Frame[];
  return new Map(rooms.map((r) => [r.id as string, r]));
}

/** Joins `room` and waits for `joined`. */
export async function join(c: Client, room: string): Promise<Frame> {
  c.send({ type: "join", room });
  return await c.next("joined", (f) => f.room === room);
}

/** Sends `text` to `room` and waits for the ack; returns the id. */
export async function say(
  c: Client,
  room: string,
  text: string,
): Promise<number> {
  const clientId = crypto.randomUUID();
  c.send({ type: "send", room, text, clientId });
  return (await c.next("ack", (f) => f.clientId === clientId)).id as number;
}

/** Creates `room` as `owner` (public unless `private`) and waits for it. */
export async function create(
  owner: Client,
  room: string,
  opts: { private?: boolean } = {},
): Promise<void> {
  owner.send({ type: "create", room, ...opts });
  await owner.next("room", (f) => (f.room as Frame).id === room);
}

/** Creates the private room `room` as `owner`, waits for it and joins it. */
export async function createPrivate(
  owner: Client,
  room: string,
): Promise<void> {
  await create(owner, room, { private: true });
  await join(owner, room);
}

/** Invites `user` to `room` as `by`; waits until `user`'s socket hears of it. */
export async function invite(
  by: Client,
  room: string,
  user: string,
  socket: Client,
): Promise<void> {
  by.send({ type: "invite", room, user });
  await socket.next("room", (f) => (f.room as Frame).id === room);
}

/** The next `error` answering a frame of `type` (for `room`, if given). */
export function errorFor(
  c: Client,
  type: string,
  room?: string,
): Promise<Frame> {
  return c.next("error", (f) => {
    const ref = f.frame as { type?: string; room?: string } | undefined;
    return ref?.type === type && (room === undefined || ref.room === room);
  });
}

/** A page of `room`'s history as `headers` may read it, with the status. */
export async function history(
  s: { url: string },
  room: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; messages: Frame[] }> {
  const res = await fetch(`${s.url}/api/rooms/${room}/messages?limit=200`, {
    headers,
  });
  const body = await res.json();
  return { status: res.status, messages: body.messages ?? [] };
}
