/**
 * What a stored text may hold, checked over a real socket: NFC, no control
 * characters but newline and tab, no lone surrogates, invisible-only text
 * counts as empty; refusals lose nothing accepted.
 */
import { expect } from "expect";
import { withServer, wsUrl } from "@/tests/helpers/server.ts";
import { Client } from "@/tests/helpers/ws_client.ts";

Deno.test("text - controls, lone surrogates and invisible-only texts are refused; the rest is stored as NFC", async () => {
  await withServer({}, async (s) => {
    const c = new Client(wsUrl(s, "/ws?name=tex"));
    await c.next("welcome");
    c.send({ type: "join", room: "general" });
    await c.next("joined");
    const attempt = async (text: string) => {
      const clientId = crypto.randomUUID();
      // JSON escapes reach the server as written, lone surrogates included.
      c.send(JSON.stringify({ type: "send", room: "general", text, clientId }));
      return await c.until(() =>
        c.frames.find((f) =>
          typeof f === "object" &&
          ((f.type === "ack" && f.clientId === clientId) ||
            (f.frame as { clientId?: string })?.clientId === clientId)
        )
      ) as Record<string, unknown>;
    };
    for (
      const bad of ["nul\u0000byte", "bell\u0007", "esc\u001b[31m", "\u0085"]
    ) {
      expect(await attempt(bad)).toMatchObject({ code: "invalid_text" });
    }
    expect(await attempt("half \ud83d pair")).toMatchObject({
      code: "invalid_text",
    });
    for (
      const blank of ["\u3164", "\u115f\u1160", "\u200b \u2800", "\ufeff\n"]
    ) {
      expect(await attempt(blank)).toMatchObject({ code: "empty_text" });
    }
    expect(await attempt("cafe\u0301\r\n\tok \u202eRTL")).toMatchObject({
      type: "ack",
    });
    const { messages } = await (await fetch(
      `${s.url}/api/rooms/general/messages`,
    )).json();
    expect(messages.map((m: { text: string }) => m.text)).toEqual([
      "tex joined",
      "caf\u00e9\n\tok \u202eRTL",
    ]);
    await c.close();
  });
});
