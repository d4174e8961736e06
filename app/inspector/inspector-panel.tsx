/**
 * The offline statechart inspector (`?inspect=panel`, development only): a panel on the page's right
 * edge showing, live, each machine's state and figures and the last events they received. It needs
 * no network and no popup, unlike Stately's inspector. Loaded with a dynamic import from
 * app/hooks/use-statechart-inspector.ts behind `import.meta.env.DEV`, so production bundles never
 * contain it (tests/integration/chat-api.test.ts checks).
 */
import { useState, useSyncExternalStore, type ComponentType } from "react";
import type { InspectionEvent, Observer } from "xstate";
import { applyInspectionEvent, emptyInspectorModel, type InspectorModel } from "./inspection-log";

/** A stream sends a hundred events a second: the panel redraws at most this often, not per event. */
const REDRAW_MS = 50;

function createInspectionStore() {
  let model = emptyInspectorModel();
  // What React reads: changes only when listeners are told, so a render never sees a newer model mid-way.
  let published = model;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();
  const publish = () => {
    pending = undefined;
    published = model;
    listeners.forEach((listener) => listener());
  };
  // Inspection events arrive inside actors' transitions, some during React's render: telling React
  // later keeps the panel from updating while another component renders.
  const schedule = () => {
    pending ??= setTimeout(publish, REDRAW_MS);
  };
  return {
    inspect: {
      next(event: InspectionEvent) {
        const next = applyInspectionEvent(model, event, Date.now());
        if (next === model) return;
        model = next;
        schedule();
      },
    } satisfies Observer<InspectionEvent>,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: (): InspectorModel => published,
    clearLog() {
      model = { ...model, log: [] };
      schedule();
    },
  };
}

type InspectionStore = ReturnType<typeof createInspectionStore>;

/** An inspector to pass to actors (`inspect`) and the panel that shows what it saw. */
export function createInspectorPanel(): { inspect: Observer<InspectionEvent>; Panel: ComponentType } {
  const store = createInspectionStore();
  function Panel() {
    return <InspectorPanel store={store} />;
  }
  return { inspect: store.inspect, Panel };
}

const clock = (time: number) => {
  const date = new Date(time);
  return `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, "0")}`;
};

function InspectorPanel({ store }: { store: InspectionStore }) {
  const { machines, log } = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  // Open at first: whoever asked for the panel wants to see it.
  const [open, setOpen] = useState(true);
  return (
    <aside className="kiln-inspector" data-testid="kiln-statechart-inspector" data-open={open} aria-label="Statechart inspector">
      <style>{PANEL_CSS}</style>
      <button
        type="button"
        className="kiln-inspector-toggle"
        aria-expanded={open}
        aria-controls="kiln-inspector-body"
        onClick={() => setOpen(!open)}
      >
        {open ? "Hide inspector ▸" : "◂ Inspector"}
      </button>
      {open && (
        <div id="kiln-inspector-body" className="kiln-inspector-body">
          <div className="kiln-inspector-title">
            <strong>Statechart inspector</strong>
            <button type="button" onClick={store.clearLog}>
              Clear log
            </button>
          </div>
          {machines.length === 0 && <p className="kiln-inspector-muted">No machine has started yet.</p>}
          {machines.map((machine) => (
            <section key={machine.name} className="kiln-inspector-machine" aria-label={`${machine.name} machine`}>
              <div>
                <span className="kiln-inspector-name">{machine.name}</span>{" "}
                <code data-testid={`inspector-state-${machine.name}`}>{machine.state}</code>
                {machine.status !== "active" && <span className="kiln-inspector-muted"> ({machine.status})</span>}
              </div>
              <dl>
                {machine.summary.map(([label, value]) => (
                  <div key={label}>
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
          <ol className="kiln-inspector-log" aria-label="Inspected events">
            {[...log].reverse().map((entry) => (
              <li key={entry.seq}>
                <time className="kiln-inspector-muted">{clock(entry.time)}</time>{" "}
                <span className="kiln-inspector-name">{entry.actor}</span> <strong>{entry.type}</strong>
                {entry.count > 1 && ` ×${entry.count}`}
                {entry.from && <span className="kiln-inspector-muted"> from {entry.from}</span>}
                {entry.state && <span> → {entry.state}</span>}
                {entry.payload && <div className="kiln-inspector-muted">{entry.payload}</div>}
              </li>
            ))}
          </ol>
        </div>
      )}
    </aside>
  );
}

// Here rather than in app/styles.css, so production's stylesheet carries none of it.
const PANEL_CSS = `
.kiln-inspector { position: fixed; right: 0; top: 50%; transform: translateY(-50%); z-index: 1000; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.kiln-inspector[data-open="true"] { top: 0; bottom: 0; transform: none; width: min(420px, 92vw); display: flex; flex-direction: column;
  background: var(--panel, #171a21); color: var(--text, #e7e9ee); border-left: 1px solid var(--border, #2a2f3a); box-shadow: -4px 0 16px #0008; }
.kiln-inspector-toggle { padding: 0.3rem 0.5rem; border: 1px solid var(--border, #2a2f3a); background: var(--panel-2, #1e222b); cursor: pointer; }
.kiln-inspector[data-open="false"] .kiln-inspector-toggle { border-radius: 6px 0 0 6px; border-right: 0; }
.kiln-inspector-body { flex: 1; min-height: 0; overflow: auto; padding: 0.5rem; }
.kiln-inspector-title { display: flex; justify-content: space-between; align-items: center; margin-bottom: 0.5rem; }
.kiln-inspector-machine { border: 1px solid var(--border, #2a2f3a); border-radius: 6px; padding: 0.4rem; margin-bottom: 0.5rem; }
.kiln-inspector-machine dl { display: flex; flex-wrap: wrap; gap: 0 0.8rem; margin: 0.3rem 0 0; }
.kiln-inspector-machine dl div { display: flex; gap: 0.3rem; }
.kiln-inspector-machine dt { color: var(--muted, #9aa3b2); }
.kiln-inspector-machine dd { margin: 0; }
.kiln-inspector-name { color: var(--accent-2, #fb923c); }
.kiln-inspector-muted { color: var(--muted, #9aa3b2); }
.kiln-inspector-log { list-style: none; margin: 0; padding: 0; }
.kiln-inspector-log li { padding: 0.2rem 0; border-top: 1px solid var(--border, #2a2f3a); overflow-wrap: anywhere; }
`;
