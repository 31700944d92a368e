import { define } from "../utils.ts";
import { securityHeaders } from "../lib/security_headers.ts";

/** Every response carries the security headers. */
export default define.middleware(securityHeaders());
