/**
 * Build tasks: `deno task build` builds the island modules into `_fresh/`.
 *
 * @module
 */
import { Builder } from "fresh/dev";

if (import.meta.main) {
  const builder = new Builder({ root: import.meta.dirname });
  if (Deno.args[0] === "build") {
    const manifest = await builder.build();
    console.log(
      `Built ${
        Object.keys(manifest.islands).length
      } island file(s), ${manifest.files.length} module(s) into _fresh/`,
    );
  } else {
    console.error("Usage: deno run -A dev.ts build");
    Deno.exit(2);
  }
}
