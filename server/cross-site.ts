/**
 * Is this request a browser's cross-site request? Used to refuse `POST /api/chat` (and the other
 * write endpoints) from other sites, so no page elsewhere can spend the operator's tokens through a
 * visitor's browser. Requests without Origin and Sec-Fetch-Site (curl, server to server) are not
 * browser cross-site requests and stay allowed. Pure.
 */
export function isCrossSiteRequest(
  headers: Headers,
  {
    /**
     * Kiln runs behind a proxy it trusts (KILN_TRUST_PROXY is set), which may rewrite Host and say
     * the browser's in X-Forwarded-Host; otherwise that header is ignored. A browser cannot add it
     * to a cross-site request without a CORS preflight, which Kiln never allows.
     */
    trustProxy = false,
  }: { trustProxy?: boolean } = {},
): boolean {
  const fetchSite = headers.get("sec-fetch-site");
  // Modern browsers say it outright; "same-site" is another origin of the same site (a sibling
  // subdomain), which is still not this app.
  if (fetchSite) return fetchSite !== "same-origin" && fetchSite !== "none";
  const origin = headers.get("origin");
  if (!origin) return false;
  if (origin === "null") return true;
  const host = (trustProxy && headers.get("x-forwarded-host")?.split(",")[0]?.trim()) || headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
