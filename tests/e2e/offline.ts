/**
 * Playwright's `test` with the internet cut off: every request to an address other than this
 * machine is aborted, in every page and frame of the test's browser context, so a preview that works
 * here works air-gapped. `internet.blocked` lists what was cut (a test may assert what tried to leave).
 */
import { test as base } from "@playwright/test";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function isLocal(url: URL): boolean {
  return LOCAL_HOSTS.has(url.hostname) || url.protocol === "data:" || url.protocol === "blob:" || url.protocol === "about:";
}

export const test = base.extend<{ internet: { blocked: string[] } }>({
  internet: [
    async ({ context }, use) => {
      const blocked: string[] = [];
      await context.route(
        (url) => !isLocal(url),
        (route) => {
          blocked.push(route.request().url());
          return route.abort("internetdisconnected");
        },
      );
      await use({ blocked });
    },
    { auto: true },
  ],
});

export { expect } from "@playwright/test";
