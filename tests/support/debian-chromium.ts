/**
 * Debian's chromium as every browser run here starts it (Playwright's own browser download is not
 * available): no sandbox (containers), no GPU, and no background traffic of its own, so that "every
 * non-local request aborted" sees only the page's requests.
 */
export const CHROMIUM_EXECUTABLE = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** For a Playwright config's `use`. */
export const debianChromium = {
  browserName: "chromium" as const,
  launchOptions: { executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS },
};
