import { useEffect, useState, type ComponentType } from "react";
import type { InspectionEvent, Observer } from "xstate";

type Inspect = Observer<InspectionEvent>;

export type InspectorMode = "panel" | "stately";

export interface StatechartInspector {
  /** Give it to every actor of the page (their `inspect` option). */
  inspect: Inspect;
  /** The offline panel, once loaded (`?inspect=panel` only): render it anywhere on the page. */
  Panel?: ComponentType;
}

/** `?inspect=panel`: the offline panel; `?inspect` or `?inspect=stately`: Stately's hosted inspector. */
export function inspectorMode(search: string): InspectorMode | undefined {
  const params = new URLSearchParams(search);
  if (!params.has("inspect")) return undefined;
  return params.get("inspect") === "panel" ? "panel" : "stately";
}

/** Enough for the first render's events; an inspector that never loads must not grow a buffer forever. */
const MAX_WAITING = 2_000;

/**
 * Actors take their inspector when they are made, in the page's first render, but the inspector is
 * a dynamic import that arrives later: this one stands in and hands it every event, the early ones
 * included. Having it from the first render also keeps that render the same as the server's.
 */
function relayedInspector() {
  let target: Inspect | undefined;
  let loading = false;
  const waiting: InspectionEvent[] = [];
  return {
    inspect: {
      next(event: InspectionEvent) {
        if (target) target.next?.(event);
        else if (waiting.length < MAX_WAITING) waiting.push(event);
      },
    } satisfies Inspect,
    /** Once per page, though React's strict mode runs effects twice: Stately's inspector opens a popup. */
    load(inspector: () => Promise<Inspect>) {
      if (loading) return;
      loading = true;
      inspector().then(
        (loaded) => {
          target = loaded;
          for (const event of waiting.splice(0)) loaded.next?.(event);
        },
        (error: unknown) => console.warn("kiln: the statechart inspector did not load", error),
      );
    },
  };
}

/**
 * In development, `?inspect=panel` in the URL shows the offline inspector panel (app/inspector/),
 * and `?inspect` opens Stately's inspector in a popup (allow popups for localhost; it needs the
 * internet). Production builds never load either: `import.meta.env.DEV` is false there, so the
 * dynamic imports are dropped from the bundle (tests/integration/chat-api.test.ts checks).
 */
export function useStatechartInspector(): StatechartInspector | undefined {
  const [mode] = useState(() =>
    import.meta.env.DEV && typeof window !== "undefined" ? inspectorMode(window.location.search) : undefined,
  );
  const [relay] = useState(() => (import.meta.env.DEV && mode ? relayedInspector() : undefined));
  const [Panel, setPanel] = useState<ComponentType>();
  useEffect(() => {
    if (import.meta.env.DEV && relay) {
      relay.load(async () => {
        if (mode === "panel") {
          const panel = (await import("~/inspector/inspector-panel")).createInspectorPanel();
          setPanel(() => panel.Panel);
          return panel.inspect;
        }
        const { createBrowserInspector } = await import("@statelyai/inspect");
        return createBrowserInspector().inspect;
      });
    }
  }, [mode, relay]);
  return relay && { inspect: relay.inspect, Panel };
}
