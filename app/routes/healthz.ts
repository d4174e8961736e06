/** Liveness: the process answers. Says nothing about providers or secrets. */
export function loader() {
  return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}
