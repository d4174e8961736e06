/**
 * The Content-Security-Policy nonce of the page being rendered (server/security-headers.server.ts).
 * app/entry.server.tsx provides it around <RemixServer>; the root layout hands it to Remix's inline
 * scripts. In the browser there is no provider and the nonce is "": hydration does not need it, and
 * browsers hide nonce attributes from scripts anyway.
 */
import { createContext, useContext } from "react";

export const NonceContext = createContext<string>("");

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
