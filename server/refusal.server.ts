/**
 * Refusals before any stream starts: JSON `{ error: { code, message } }` with an HTTP status
 * (docs/errors.md). Shared by every API route.
 */
import type { ZodType, ZodTypeDef } from "zod";
import { isCrossSiteRequest } from "./cross-site";
import { rateLimitRefusal, type RateLimitKind } from "./rate-limit.server";
import { readBoundedBody } from "./read-bounded-body";
import type { KilnServices } from "./services.server";

export function refusal(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** Refuses a browser request from another site (see cross-site.ts); shared by every write endpoint. */
export function crossSiteRefusal(request: Request, services: KilnServices): Response | undefined {
  if (!isCrossSiteRequest(request.headers, { trustProxy: services.config.trustProxy !== 0 })) return undefined;
  return refusal(403, "cross_site_request", "Requests from other sites are not accepted.");
}

/**
 * The largest body of a small JSON write (`POST /api/chats`, `POST /api/shares`). Their fields are a
 * model name, a title and ids, well under 1 kB; 16 kB leaves room for more fields without letting a
 * client park megabytes in memory. `POST /api/chat` carries the conversation and has its own limit,
 * KILN_MAX_BODY_BYTES.
 */
export const WRITE_BODY_LIMIT_BYTES = 16_000;

export interface JsonWriteOptions {
  /** The rate-limit bucket this write takes a token from (server/rate-limit.server.ts). */
  kind: RateLimitKind;
  /** The client's address: the load context's `clientIp`. */
  clientIp: string;
  /** The largest accepted body, in bytes; WRITE_BODY_LIMIT_BYTES unless the endpoint needs more. */
  maxBytes?: number;
}

/**
 * The checks every small JSON write endpoint starts with, cheap ones first: POST only, same site,
 * the client's rate limit for `kind`, `Content-Type: application/json`, a body of at most `maxBytes`
 * (never read further: a larger one is refused from its Content-Length, or once that many bytes have
 * arrived), valid JSON that passes `schema`. The parsed body, or the refusal to return.
 */
export async function readJsonWrite<T>(
  request: Request,
  services: KilnServices,
  schema: ZodType<T, ZodTypeDef, unknown>,
  { kind, clientIp, maxBytes = WRITE_BODY_LIMIT_BYTES }: JsonWriteOptions,
): Promise<{ ok: true; body: T } | { ok: false; response: Response }> {
  const refuse = (response: Response) => ({ ok: false as const, response });
  if (request.method !== "POST") {
    return refuse(refusal(405, "method_not_allowed", "Use POST for this request.", { Allow: "POST" }));
  }
  const crossSite = crossSiteRefusal(request, services);
  if (crossSite) return refuse(crossSite);
  const limited = await rateLimitRefusal(services, kind, clientIp);
  if (limited) return refuse(limited);
  const body = await readJsonBody(request, maxBytes);
  if (!body.ok) return body;
  const parsed = schema.safeParse(body.json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(refusal(400, "bad_request", `Invalid request: ${issue.path.join(".")} ${issue.message.toLowerCase()}.`));
  }
  return { ok: true, body: parsed.data };
}

/**
 * The body of a JSON write, shared by every write endpoint: `Content-Type: application/json` (415),
 * at most `maxBytes` (413, never read further: a larger one is refused from its Content-Length, or
 * once that many bytes have arrived), valid JSON (400). The parsed JSON, or the refusal to return.
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
): Promise<{ ok: true; json: unknown } | { ok: false; response: Response }> {
  const refuse = (response: Response) => ({ ok: false as const, response });
  if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? "")) {
    return refuse(refusal(415, "unsupported_media_type", "Send the request as JSON (Content-Type: application/json)."));
  }
  const tooLarge = () =>
    // The unread rest of the body is still on the socket: close it rather than reuse it for another request.
    refuse(
      refusal(413, "body_too_large", `The request is larger than the ${Math.round(maxBytes / 1000)} kB this server accepts.`, {
        Connection: "close",
      }),
    );
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
  let text: string | undefined;
  try {
    text = await readBoundedBody(request.body, maxBytes, { cancel: false });
  } catch {
    // The client went away (or the request timeout cut it) mid-body: nobody reads this answer.
    return refuse(refusal(400, "bad_json", "The request body is not valid JSON."));
  }
  if (text === undefined) return tooLarge();
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return refuse(refusal(400, "bad_json", "The request body is not valid JSON."));
  }
}
