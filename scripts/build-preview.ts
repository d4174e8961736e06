/**
 * Builds the preview runtime (app/preview-frame/) into build/preview/: the frame page and its
 * fingerprinted scripts, all from npm packages, so the preview needs nothing but Kiln's own server.
 * Part of `npm run build` and of `npm run dev` (it takes a few seconds). Writes:
 *   build/preview/frame.html          the frame page (served at /preview/frame)
 *   build/preview/assets/*.js         react (always), frame (always), lucide-react and recharts (on use)
 *   build/preview/manifest.json       the bundles and their sizes, for the server and the benchmark
 * Why a separate esbuild build and not a Remix route: the frame must not carry Remix's scripts or
 * Kiln's page CSP, and its bundles share one React through a global (shared-modules.ts).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const OUT = resolve("build/preview");
const SOURCE = resolve("app/preview-frame");
const standIn = (file: string) => join(SOURCE, "node-stand-ins", file);

/** The bundles, in the order the frame page loads the first two. */
const BUNDLES = [
  { name: "react", entry: "vendor/react.ts", nodeEnv: "development", sharesReact: false },
  { name: "frame", entry: "frame.ts", nodeEnv: "production", sharesReact: true },
  { name: "lucide-react", entry: "vendor/lucide-react.ts", nodeEnv: "production", sharesReact: true },
  { name: "recharts", entry: "vendor/recharts.ts", nodeEnv: "production", sharesReact: true },
] as const;

/** `react`, `react-dom` and their subpaths, taken from the React bundle at run time. */
const sharedReact: esbuild.Plugin = {
  name: "shared-react",
  setup(build) {
    build.onResolve({ filter: /^react(-dom)?(\/.*)?$/ }, (args) => ({ path: args.path, namespace: "shared-react" }));
    build.onLoad({ filter: /.*/, namespace: "shared-react" }, (args) => ({
      contents: `module.exports = globalThis.__kilnPreviewModules[${JSON.stringify(args.path)}];`,
      loader: "js",
    }));
  },
};

/** Tailwind's Node-only imports, replaced by what app/preview-frame/node-stand-ins/ provides. */
const nodeStandIns: esbuild.Plugin = {
  name: "node-stand-ins",
  setup(build) {
    build.onResolve({ filter: /^fs$/ }, () => ({ path: standIn("fs.ts") }));
    build.onResolve({ filter: /^path$/ }, () => ({ path: standIn("path.ts") }));
    build.onResolve({ filter: /util\/log(\.js)?$/ }, (args) =>
      args.importer.includes(`${"tailwindcss"}`) ? { path: standIn("tailwind-log.ts") } : undefined,
    );
    build.onResolve(
      {
        filter:
          /^(url|os|crypto|module|util|v8|worker_threads|jiti|lilconfig|fast-glob|chokidar|glob-parent|is-glob|micromatch|normalize-path|postcss-import|postcss-load-config|resolve)$/,
      },
      () => ({ path: standIn("empty.ts") }),
    );
  },
};

export interface PreviewManifest {
  /** Bundle name → file name under build/preview/assets/. */
  bundles: Record<string, string>;
  /** Bytes of each bundle, raw and gzipped. */
  sizes: Record<string, { bytes: number; gzipBytes: number }>;
}

async function buildBundle(bundle: (typeof BUNDLES)[number]): Promise<string> {
  const result = await esbuild.build({
    entryPoints: { [bundle.name]: join(SOURCE, bundle.entry) },
    outdir: join(OUT, "assets"),
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    loader: { ".css": "text" },
    define: {
      "process.env.NODE_ENV": JSON.stringify(bundle.nodeEnv),
      "process.env": "{}",
      // Tailwind 3.4 checks for its Rust engine and its own install folder; neither applies here.
      __OXIDE__: "false",
      __dirname: JSON.stringify("/"),
    },
    plugins: bundle.sharesReact ? [sharedReact, nodeStandIns] : [nodeStandIns],
    metafile: true,
    logLevel: "warning",
  });
  return basename(Object.keys(result.metafile.outputs).find((file) => file.endsWith(".js"))!);
}

function framePage(bundles: Record<string, string>): string {
  const onDemand = Object.fromEntries(
    Object.entries(bundles)
      .filter(([name]) => name !== "react" && name !== "frame")
      .map(([name, file]) => [name, `assets/${file}`]),
  );
  // No inline script (the frame's CSP allows none); the bundle list is data, read by frame.ts.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview</title>
<script type="application/json" id="kiln-preview-bundles">${JSON.stringify(onDemand)}</script>
<script defer crossorigin="anonymous" src="assets/${bundles.react}"></script>
<script defer crossorigin="anonymous" src="assets/${bundles.frame}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
}

export async function buildPreview(): Promise<PreviewManifest> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, "assets"), { recursive: true });
  const files = await Promise.all(BUNDLES.map(buildBundle));
  const bundles = Object.fromEntries(BUNDLES.map((bundle, i) => [bundle.name, files[i]]));
  const sizes = Object.fromEntries(
    Object.entries(bundles).map(([name, file]) => {
      const bytes = readFileSync(join(OUT, "assets", file));
      return [name, { bytes: bytes.length, gzipBytes: gzipSync(bytes).length }];
    }),
  );
  const manifest: PreviewManifest = { bundles, sizes };
  writeFileSync(join(OUT, "frame.html"), framePage(bundles));
  writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve("scripts/build-preview.ts")) {
  const started = Date.now();
  const { sizes } = await buildPreview();
  const summary = Object.entries(sizes)
    .map(([name, size]) => `${name} ${(size.gzipBytes / 1024).toFixed(0)} KiB gzip`)
    .join(", ");
  console.log(`preview runtime built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary}`);
}
