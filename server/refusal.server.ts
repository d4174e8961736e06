/**
 * Refusals before any stream starts: JSON `{ error: { code, message } }` with an HTTP status
 * (docs/errors.md). Shared by every API route.
 */
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
