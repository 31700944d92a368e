import { define } from "@/utils.ts";
import { jsonErrors } from "@/lib/server/http/json_errors.ts";

/** API errors are JSON: `{"error": {"status", "message"}}`. */
export default define.middleware(jsonErrors());
