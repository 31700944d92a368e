/**
 * Mentions over real sockets, on both backends: a message naming someone
 * counts in their mention badge until they read it, or until the message
 * is deleted, live and in `welcome`.
 */
import { expect } from "expect";
import { withServer } from "@/tests/helpers/server.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import {
  join,
  open,
  say,
  welcome,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

testOnBothBackends(
  "mentions - a deleted message no longer counts as a mention, live in every tab and after a reconnect",
  async (env) => {
    await withServer(env, async (s) => {
      const ana = await open(s, "ana");
      await join(ana, "random");
      const bo = await open(s, "bo");
      await join(bo, "random");
      const token = welcome(bo).token as string;
      await join(bo, "general");
      // Bo looks at general; ana names bo twice in random.
      const first = await say(ana, "random", "@bo can you look?");
      await say(ana, "random", "@bo and this one");
      const counted = async () => {
        const c = await open(s, "bo", { token });
        const n = welcomeRooms(c).get("random")?.mentions;
        await c.close();
        return n;
      };
      expect(await counted()).toBe(2);
      ana.send({ type: "delete", room: "random", id: first });
      // Bo's socket is told the count anew.
      const read = await bo.next("read", (f) => f.room === "random");
      expect(read).toMatchObject({ mentions: 1 });
      expect(await counted()).toBe(1);
      await Promise.all([ana.close(), bo.close()]);
    });
  },
);

testOnBothBackends(
  "mentions - a name with a Korean particle or honorific written onto it (@민수님) mentions that member",
  async (env) => {
    await withServer(env, async (s) => {
      const ana = await open(s, "ana");
      await join(ana, "random");
      const minsu = await open(s, "민수");
      await join(minsu, "random");
      const token = welcome(minsu).token as string;
      await join(minsu, "general");
      await say(ana, "random", "@민수님 회의 시간 괜찮으세요?");
      await say(ana, "random", "@민수야 점심 먹자");
      const c = await open(s, "민수", { token });
      expect(welcomeRooms(c).get("random")?.mentions).toBe(2);
      await Promise.all([c.close(), ana.close(), minsu.close()]);
    });
  },
);
