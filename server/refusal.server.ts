/**
 * Refusals before any stream starts: JSON `{ error: { code, message } }` with an HTTP status
 * (docs/errors.md). Shared by every API route.
 */
import type { ZodType, ZodTypeDef } from "zod";
import { isCrossSiteRequest } from "./cross-site";
import type { KilnServices } from "./services.server";

export function refusal(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** Refuses a browser request from another site (see cross-site.ts); shared by every write endpoint. */
export function crossSiteRefusal(request: Request, services: KilnServices): Response | undefined {
  if (!isCrossSiteRequest(request.headers, { trustProxy: services.config.trustProxy })) return undefined;
  return refusal(403, "cross_site_request", "Requests from other sites are not accepted.");
}

/**
 * The checks every small JSON write endpoint starts with (POST only, same site, a JSON body that
 * passes `schema`): the parsed body, or the refusal to return.
 */
export async function readJsonWrite<T>(
  request: Request,
  services: KilnServices,
  schema: ZodType<T, ZodTypeDef, unknown>,
): Promise<{ ok: true; body: T } | { ok: false; response: Response }> {
  if (request.method !== "POST") {
    return { ok: false, response: refusal(405, "method_not_allowed", "Use POST for this request.", { Allow: "POST" }) };
  }
  const crossSite = crossSiteRefusal(request, services);
  if (crossSite) return { ok: false, response: crossSite };
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    return { ok: false, response: refusal(400, "bad_json", "The request body is not valid JSON.") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      response: refusal(400, "bad_request", `Invalid request: ${issue.path.join(".")} ${issue.message.toLowerCase()}.`),
    };
  }
  return { ok: true, body: parsed.data };
}
