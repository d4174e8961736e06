/**
 * Why Kiln's preview runtime did not start, in words: asks Kiln's server for the frame page and each
 * script it names, and reports the first that fails. Runs only after the start timeout, from Kiln's
 * page (same origin), never from the frame (which may not connect anywhere).
 */
import { PREVIEW_FRAME_URL } from "../../../machines/preview-settings";

export async function diagnoseLocalRuntime(): Promise<string | undefined> {
  const page = await probe(PREVIEW_FRAME_URL);
  if (typeof page === "string") return page;
  const html = await page.text();
  const scripts = [...html.matchAll(/src="([^"]+)"/g)].map(
    (match) => new URL(match[1], new URL(PREVIEW_FRAME_URL, location.href)).pathname,
  );
  const bundles = /<script type="application\/json" id="kiln-preview-bundles">([^<]*)<\/script>/.exec(html)?.[1];
  const onDemand = bundles ? Object.values(JSON.parse(bundles) as Record<string, string>).map((path) => `/preview/${path}`) : [];
  for (const path of [...scripts, ...onDemand]) {
    const result = await probe(path, "HEAD");
    if (typeof result === "string") return result;
  }
  return undefined;
}

async function probe(path: string, method = "GET"): Promise<Response | string> {
  try {
    const response = await fetch(path, { method, cache: "no-store" });
    if (!response.ok)
      return `Kiln's server answered ${response.status} for ${path}${response.status === 503 ? " (the preview runtime is not built: run npm run build)" : ""}.`;
    return response;
  } catch {
    return `The preview runtime's file ${path} could not be loaded from Kiln's server.`;
  }
}
