/**
 * A TCP proxy on a free loopback port, for tests that need a connection
 * to misbehave the way networks and servers do: cut in the middle of a
 * conversation, or silent both ways while staying open (a path that died
 * without a FIN).
 *
 * @module
 */

/** One client connection through a {@link tcpProxy}. */
export interface ProxyLink {
  /** The connection's number, from 0 in the order accepted. */
  readonly index: number;
  /** The client's side: written to, it answers in the server's place. */
  readonly client: Deno.Conn;
  /** From now on nothing passes either way; both sockets stay open. */
  silence(): void;
}

/** What {@link tcpProxy} does with a chunk the client sent. */
export type Verdict = "forward" | "end";

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on. */
  readonly port: number;
  /** Closes every connection so far; new ones are still accepted. */
  dropAll(): void;
  /** Stops listening and closes every connection. */
  close(): void;
}

/**
 * Forwards every connection on its port to `port` on the loopback. Each
 * chunk a client sends goes through `inspect` first: `"forward"` passes
 * it on, `"end"` closes both sides of that connection instead.
 */
export function tcpProxy(
  port: number,
  inspect: (chunk: Uint8Array, link: ProxyLink) => Verdict | Promise<Verdict> =
    () => "forward",
): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const closeAll = (list: Deno.Conn[]) => {
    for (const c of list) {
      try {
        c.close();
      } catch { /* closed already */ }
    }
  };
  const pipe = async (
    from: Deno.Conn,
    to: Deno.Conn,
    state: { silent: boolean },
    link?: ProxyLink,
  ) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        if (link && (await inspect(chunk, link)) === "end") break;
        if (!state.silent) await to.write(chunk);
      }
    } catch { /* the other side went */ }
    if (!state.silent) closeAll([from, to]);
  };
  (async () => {
    let index = 0;
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(client, server);
      const state = { silent: false };
      const link: ProxyLink = {
        index: index++,
        client,
        silence: () => state.silent = true,
      };
      pipe(client, server, state, link);
      pipe(server, client, state);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    dropAll() {
      closeAll(conns.splice(0));
    },
    close() {
      listener.close();
      closeAll(conns);
    },
  };
}
