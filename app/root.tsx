import type { HeadersFunction, LinksFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { useNonce } from "./lib/nonce";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

/**
 * A page whose loader threw a refusal (503 storage_unavailable, server/db/guarded-chat-store.server.ts)
 * keeps the refusal's Retry-After and Cache-Control, so the error page is retried later and never cached.
 */
export const headers: HeadersFunction = ({ errorHeaders }) => {
  const kept = new Headers();
  for (const name of ["Retry-After", "Cache-Control"]) {
    const value = errorHeaders?.get(name);
    if (value) kept.set(name, value);
  }
  return kept;
};

export function Layout({ children }: { children: React.ReactNode }) {
  // The CSP nonce for Remix's inline scripts (app/entry.server.tsx); "" in the browser.
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText || "Error"}` : "Something went wrong";
  const detail = isRouteErrorResponse(error) ? errorSentence(error.data, notFound) : undefined;
  const fallback = notFound ? "There is nothing at this address." : "Kiln hit an unexpected error. Try again in a moment.";
  return (
    <main className="error-page">
      <h1>{title}</h1>
      <p>{detail ?? fallback}</p>
      <p>
        <a href="/">Back to Kiln</a>
      </p>
    </main>
  );
}

/**
 * What a thrown Response says: a refusal's `{ error: { message } }` (e.g. 503 storage_unavailable from
 * server/db/guarded-chat-store.server.ts), or a 404's text. Other text (Remix's own 405s) is for
 * developers, not shown.
 */
function errorSentence(data: unknown, notFound: boolean): string | undefined {
  if (typeof data === "string") return (notFound && data) || undefined;
  const message = (data as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === "string" ? message : undefined;
}
