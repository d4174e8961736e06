/**
 * Server rendering: Remix's default Node entry (isbot, renderToPipeableStream), plus the CSP nonce.
 * server/security-headers.server.ts makes a nonce per request and server/main.ts passes it in the
 * load context as `cspNonce`; every inline script Remix and React write carries it.
 */
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceProvider } from "~/lib/nonce";

/**
 * How long the server runtime lets deferred loader data stream (single fetch reads this export;
 * `<RemixServer abortDelay>` is unused with single fetch). React is aborted a second later, so the
 * runtime's abort rejections still flush down to the browser.
 */
export const streamTimeout = 5_000;

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** This response's CSP nonce (res.locals.cspNonce); absent when no security-headers middleware ran. */
    cspNonce?: string;
  }
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = typeof loadContext?.cspNonce === "string" ? loadContext.cspNonce : "";
  // Bots and SPA mode get the whole document at once; browsers get the shell first, then the rest.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const ready = () => {
      shellRendered = true;
      const body = new PassThrough();
      const stream = createReadableStreamFromReadable(body);
      responseHeaders.set("Content-Type", "text/html");
      resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce || undefined} />
      </NonceProvider>,
      {
        nonce: nonce || undefined,
        ...(waitForAll ? { onAllReady: ready } : { onShellReady: ready }),
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors in the shell reject above and Remix logs them; only log the ones while streaming.
          if (shellRendered) console.error(error);
        },
      },
    );
    setTimeout(abort, streamTimeout + 1_000);
  });
}
