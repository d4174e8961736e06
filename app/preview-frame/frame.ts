/**
 * The preview runtime: the script of the frame page (`/preview/frame`), which Kiln loads in an
 * `<iframe sandbox="allow-scripts allow-forms allow-modals">`. It runs in an opaque origin under its
 * own CSP, so the app it runs cannot reach Kiln's page, cookies, storage or API, nor the network.
 *
 * One frame runs one version: the host makes a new frame for the next one, so nothing an app left
 * behind (timers, listeners, globals) leaks into the next. The conversation with the host is the
 * protocol of machines/preview-protocol.ts: `ready` once this script has run, then for the one `run`
 * it accepts, `rendered` after React's first commit or one `error` (compile, import or runtime).
 * Readiness and rendering are reported from messages and React's commit, never from
 * requestAnimationFrame: a hidden tab does not paint, but it does run this.
 */
import { Component, createElement, useLayoutEffect, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { allowedPackageList, libraryOf, type AllowedLibrary } from "../../machines/allowed-libraries";
import { APP_ENTRY, frameMessage, parseRunMessage, type RunMessage } from "../../machines/preview-protocol";
import { compileApp } from "./compile-app";
import { appLineOf, messageOf } from "./error-location";
import { findImports, findRequires, type FoundImport, type RequiredModule } from "./find-imports";
import { sharedModule } from "./shared-modules";
import { prepareTailwind, tailwindCss } from "./tailwind";

interface AppError {
  kind: "compile" | "import" | "runtime";
  message: string;
  line?: number;
  column?: number;
}

/** The run this frame accepted, and whether its one error has been reported. */
let current: { version: number; errorReported: boolean } | undefined;

function post(message: Parameters<typeof frameMessage>[0]) {
  // The host's origin cannot be named from an opaque origin; nothing sent here is secret.
  window.parent.postMessage(frameMessage(message), "*");
}

/** Each failure is reported once: the first error wins, whatever reports it again after. */
function reportError(error: AppError) {
  if (!current || current.errorReported) return;
  current.errorReported = true;
  post({ type: "error", version: current.version, ...error });
}

function reportThrown(thrown: unknown) {
  reportError({ kind: "runtime", message: messageOf(thrown), line: appLineOf(thrown) });
}

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || current) return;
  const run = parseRunMessage(event.data);
  if (!run) return;
  current = { version: run.version, errorReported: false };
  runApp(run).catch(reportThrown);
});
// Errors in event handlers, timers and effects, and promises nobody awaited.
window.addEventListener("error", (event) => reportThrown(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => reportThrown(event.reason));

post({ type: "ready" });
// After `ready`: the run message, when it is already waiting, is handled first (it prepares too).
setTimeout(prepareTailwind, 0);

async function runApp(run: RunMessage): Promise<void> {
  const source = run.files[APP_ENTRY];
  const compiled = compileApp(source, APP_ENTRY);
  if (!compiled.ok)
    return reportError({ kind: "compile", message: compiled.message, line: compiled.line, column: compiled.column });

  const required = findRequires(compiled.code);
  const refused = required.find((module) => !libraryOf(module.specifier));
  if (refused) return reportError({ kind: "import", message: refusalOf(refused.specifier), line: refused.line });

  const [css] = await Promise.all([tailwindCss(source), ...bundlesFor(required).map(loadBundle)]);
  const loaded = new Set(required.map((module) => module.specifier));
  const missing = missingName(findImports(source).filter((found) => loaded.has(found.specifier)));
  if (missing) return reportError(missing);

  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);

  const App = evaluate(compiled.code);
  if (App === undefined) return;
  const root = createRoot(document.getElementById("root")!);
  root.render(createElement(AppBoundary, null, createElement(App), createElement(ReportRendered, { version: run.version })));
}

function refusalOf(specifier: string): string {
  const local = specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("@/");
  const what = local
    ? `"${specifier}" is not part of this app: it has one file`
    : `"${specifier}" is not available in the preview`;
  return `${what}. Apps may import only from ${allowedPackageList()}.`;
}

function bundlesFor(required: RequiredModule[]): AllowedLibrary["bundle"][] {
  const bundles = new Set(required.map((module) => libraryOf(module.specifier)!.bundle));
  bundles.delete("react");
  return [...bundles];
}

/** Where the build put each bundle: the frame page lists them (scripts/build-preview.ts). */
const bundleUrls = JSON.parse(document.getElementById("kiln-preview-bundles")?.textContent ?? "{}") as Record<string, string>;
const loading = new Map<string, Promise<void>>();

/** Loads a bundle once, however often it is asked for (preloaded, then imported). */
function loadBundle(bundle: string): Promise<void> {
  let promise = loading.get(bundle);
  if (!promise) {
    promise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = bundleUrls[bundle];
      // Served with Access-Control-Allow-Origin, so errors thrown inside keep their message and stack.
      script.crossOrigin = "anonymous";
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`The preview could not load ${bundle} from Kiln's server.`));
      document.head.append(script);
    });
    loading.set(bundle, promise);
  }
  return promise;
}

// The host names the bundles the next app will probably import (`?preload=lucide-react`), so a
// frame loaded ahead fetches them while it waits. Unknown names are ignored; failures surface
// only if the app really imports the bundle.
for (const bundle of new URLSearchParams(location.search).get("preload")?.split(",") ?? []) {
  if (Object.hasOwn(bundleUrls, bundle)) loadBundle(bundle).catch(() => undefined);
}

/** An imported name the library does not export: most often an icon lucide-react does not have. */
function missingName(imports: FoundImport[]): AppError | undefined {
  for (const found of imports) {
    const library = libraryOf(found.specifier)!;
    const module = sharedModule(found.specifier) as Record<string, unknown>;
    const name = found.names.find((n) => !(n in module));
    if (name) {
      const hint = library.name === "lucide-react" ? " (there is no icon of that name)" : "";
      return { kind: "import", message: `${library.name} ${library.version} has no export "${name}"${hint}.`, line: found.line };
    }
  }
  return undefined;
}

function requireShared(specifier: string): unknown {
  const module = sharedModule(specifier);
  if (module === undefined) throw new Error(refusalOf(specifier));
  return module;
}

/**
 * Runs the compiled module and returns its default export. The wrapper shares the first line with
 * the app's code and the source URL names the app's file, so stack frames carry the app's lines.
 */
function evaluate(code: string): React.ComponentType | undefined {
  const module: { exports: { default?: unknown } } = { exports: {} };
  try {
    const factory = (0, eval)(`(function (require, module, exports) {${code}\n})\n//# sourceURL=${APP_ENTRY}`);
    factory(requireShared, module, module.exports);
  } catch (thrown) {
    reportThrown(thrown);
    return undefined;
  }
  const App = module.exports.default;
  const isComponent = typeof App === "function" || (typeof App === "object" && App !== null && "$$typeof" in App);
  if (!isComponent) {
    reportError({
      kind: "compile",
      message: "The app has no default export: the file must end with `export default function App()`.",
    });
    return undefined;
  }
  return App as React.ComponentType;
}

/** Catches render errors so they are reported (once) instead of leaving a blank page. */
class AppBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  componentDidCatch(error: unknown) {
    reportThrown(error);
  }
  render() {
    return this.state.failed ? null : this.props.children;
  }
}

/** Rendered after the app in the same tree: its layout effect runs once the app's first commit is done. */
function ReportRendered({ version }: { version: number }) {
  useLayoutEffect(() => post({ type: "rendered", version }), [version]);
  return null;
}
