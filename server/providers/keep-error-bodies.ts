/**
 * The openai SDK keeps an error response's JSON only under its `error` key: a body shaped otherwise
 * (Backend.AI's AppProxy sends `{"error_code": "E20008", "msg": …}`) reaches Kiln as "401 status code
 * (no body)", and the code that says what is wrong is lost. This fetch wraps such a body as
 * `{ "error": <body> }` so it survives; every other response passes through untouched.
 */
type Fetch = typeof fetch;

export function keepErrorBodies(inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.ok || !response.headers.get("content-type")?.includes("json")) return response;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const kept = body && typeof body === "object" && !("error" in body) ? JSON.stringify({ error: body }) : text;
    return new Response(kept, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
