import { useEffect, useState } from "react";
import type { InspectionEvent, Observer } from "xstate";

type Inspect = Observer<InspectionEvent>;

/**
 * In development, `?inspect` in the URL opens the Stately inspector for the chat machine (a popup:
 * allow popups for localhost). Production builds never load it: `import.meta.env.DEV` is false there,
 * so the dynamic import is dropped from the bundle.
 *
 * Returns "pending" until the inspector is ready, because an actor takes its inspector at creation.
 */
export function useStatechartInspector(): Inspect | undefined | "pending" {
  const wanted =
    import.meta.env.DEV && typeof window !== "undefined" && new URLSearchParams(window.location.search).has("inspect");
  const [inspect, setInspect] = useState<Inspect | undefined | "pending">(wanted ? "pending" : undefined);
  useEffect(() => {
    if (!wanted) return;
    void import("@statelyai/inspect").then(({ createBrowserInspector }) => setInspect(createBrowserInspector().inspect));
  }, [wanted]);
  return inspect;
}
