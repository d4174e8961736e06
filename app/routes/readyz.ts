import type { LoaderFunctionArgs } from "@remix-run/node";

/**
 * Readiness: the database answers, at least one provider is configured, and the server is not
 * draining. A load balancer sends traffic only while this is 200. No secrets, no provider URLs.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const { store, config, lifecycle } = context.kiln;
  const providers = config.providers.filter((p) => p.available).length;
  let database: "ok" | "unreachable" = "ok";
  try {
    await store.ping();
  } catch {
    database = "unreachable";
  }
  const ready = database === "ok" && providers > 0 && !lifecycle.draining;
  return Response.json(
    { status: ready ? "ready" : "not_ready", database, providers, draining: lifecycle.draining },
    { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
