import type { LoaderFunctionArgs } from "@remix-run/node";

/** The model picker's source: every configured model, unavailable ones included with the reason. */
export function loader({ context }: LoaderFunctionArgs) {
  return Response.json(context.kiln.providers.listModels());
}
