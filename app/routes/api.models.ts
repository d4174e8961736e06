import type { LoaderFunctionArgs } from "@remix-run/node";

/**
 * The model picker's source: every provider's models with its health, unavailable ones included with
 * the reason. Read from what discovery last found; never waits for a provider.
 */
export function loader({ context }: LoaderFunctionArgs) {
  return Response.json(context.kiln.providers.listModels());
}
