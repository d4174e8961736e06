/**
 * `redactSecrets`: the one place that decides what "looks like a key or token" in text Kiln logs (the
 * request log's path and request id, every log line's message and string fields, error messages and
 * stacks: server/logger.server.ts). Dependency-free, so the logger can use it.
 */

export const REDACTED = "[redacted]";

/** Names whose value is a secret in `name=value`, `name: value` and `"name":"value"` forms. */
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|pwd|auth|authorization|credential|signature|sig|session|cookie)s?`;

/** Rules in order; each replaces what it matches. */
const RULES: [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  // A whole Authorization header value, whatever its scheme.
  [
    /\b((?:proxy-)?authorization)(["']?\s*[=:]\s*["']?)[^\r\n"',;}]+/gi,
    (_m, name: string, separator: string) => `${name}${separator}${REDACTED}`,
  ],
  // Credentials after their scheme, wherever they appear: "Bearer abc…", "Basic dXNlcjpwdw==" (a
  // Basic value has a digit or base64's +/=, which keeps "Basic information" readable).
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, scheme: string) => `${scheme} ${REDACTED}`],
  [/\b(Basic)\s+(?=[A-Za-z0-9+/=]*[0-9+/=])[A-Za-z0-9+/]{6,}={0,2}/g, (_m, scheme: string) => `${scheme} ${REDACTED}`],
  // Credentials in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, (_m, prefix: string) => `${prefix}${REDACTED}@`],
  // name=value (query strings, forms, env dumps) and name: value / "name": "value" (JSON, headers).
  [
    new RegExp(String.raw`(${SECRET_NAME})(["']?\s*[=:]\s*["']?)(?!\[redacted\])([^\s&"',;}\]]+)`, "gi"),
    (_m, name: string, separator: string) => `${name}${separator}${REDACTED}`,
  ],
  // Well-known key shapes: OpenAI-style sk-…, GitHub, Slack, AWS access key ids, Google API keys, JWTs.
  [/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Anything else long and random: hex or base64(url) runs of 32+ characters. A run starting with "/"
  // is a path: only its random-looking stretches go, so /chats/<id> keeps its shape.
  [/[A-Za-z0-9+/_-]{32,}={0,2}/g, (run: string) => (run.startsWith("/") ? redactPath(run) : looksRandom(run) ? REDACTED : run)],
];

/**
 * Replaces everything in `text` that looks like a key, token or password with "[redacted]": known key
 * shapes, Authorization values, `key=`/`token=`/`password=`… values, URL passwords, and any hex or
 * base64 run of 32 characters or more. Ids Kiln makes (UUIDs, 22-character base64url ids) and model
 * names such as `Qwen3-Coder-480B-A35B-Instruct-FP8` are short or word-like and stay readable.
 */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of RULES) {
    result = result.replace(pattern, replacement as (match: string, ...groups: string[]) => string);
  }
  return result;
}

/**
 * A 32+ character run is a secret unless it is made of short word-like pieces (model names, slugs,
 * UUIDs: every piece between -, _, / or + at most 12 characters), or has no letter or no digit.
 * All-hex runs (Together keys, hashes) always count.
 */
function looksRandom(run: string): boolean {
  const body = run.replace(/=+$/, "");
  if (/^[0-9a-f]{32,}$/i.test(body)) return true;
  if (!/[0-9]/.test(body) || !/[A-Za-z]/.test(body)) return false;
  return body.split(/[-_/+]/).some((piece) => piece.length > 12);
}

/**
 * In a path, consecutive segments that are not plain words or numbers are judged together (a base64
 * key can hold "/"), so `/files/<key with slashes>/raw` loses the key but `/chats/<22-char id>` stays.
 */
function redactPath(path: string): string {
  const segments = path.split("/");
  const out: string[] = [];
  let stretch: string[] = [];
  const flush = () => {
    const joined = stretch.join("/");
    if (joined) out.push(joined.length >= 32 && looksRandom(joined) ? REDACTED : joined);
    stretch = [];
  };
  for (const segment of segments) {
    if (segment === "" || /^(?:[a-z]+|[0-9]+)$/.test(segment)) {
      flush();
      out.push(segment);
    } else {
      stretch.push(segment);
    }
  }
  flush();
  return out.join("/");
}
