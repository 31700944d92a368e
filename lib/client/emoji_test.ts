import { expect } from "expect";
import { CATEGORIES, EMOJI, emojiNamed, searchEmoji } from "./emoji.ts";

Deno.test("emoji - shortcodes starting with the query come first, then words inside names, tags and descriptions", () => {
  const smi = searchEmoji("smi").map((e) => e.names[0]);
  expect(smi.slice(0, 3)).toEqual(["smile", "smirk", "smiley"]);
  // "slightly_smiling_face" has a word starting "smi"; it comes later.
  expect(smi).toContain("slightly_smiling_face");
  expect(smi.indexOf("slightly_smiling_face")).toBeGreaterThan(
    smi.indexOf("smirk"),
  );
  expect(searchEmoji("+1", 1)[0].emoji).toBe("👍");
  expect(searchEmoji(":TADA:", 1)[0].emoji).toBe("🎉");
  expect(searchEmoji("happy").length).toBeGreaterThan(3);
  expect(searchEmoji("zzqq")).toEqual([]);
  expect(searchEmoji("", 5).length).toBe(5);
  expect(emojiNamed("heart")?.emoji).toBe("❤️");
});

Deno.test("emoji - every emoji sits in one category, categories in Unicode's order", () => {
  expect(CATEGORIES[0].name).toBe("Smileys & Emotion");
  expect(CATEGORIES.reduce((n, c) => n + c.emoji.length, 0)).toBe(
    EMOJI.length,
  );
  expect(EMOJI.length).toBeGreaterThan(1500);
});
