/**
 * The offline inspector's model, built from XState's inspection events (the `inspect` option of an
 * actor): the current state of each root machine on the page (chat, preview) with a few figures from
 * its context, and a bounded log of the events they received. Pure, so the panel only renders it.
 *
 * Payloads are summarised, never copied: a SHOW carries a whole app and the chat's context every
 * message, and the panel must stay small and fast while a stream sends hundreds of deltas.
 */
import type { ActorRefLike, AnyEventObject, InspectionEvent, StateValue } from "xstate";
import type { ChatContext } from "../../machines/chat.machine";
import type { PreviewContext } from "../../machines/preview.machine";

export const LOG_LIMIT = 100;

export interface MachineView {
  /** The machine's id (`chat`, `preview`). */
  name: string;
  /** The actor shown: a page that makes a new actor of the same machine replaces the old one. */
  sessionId: string;
  state: string;
  /** The actor's status (`active`, `done`, `stopped`, `error`). */
  status: string;
  summary: [label: string, value: string][];
}

export interface LogEntry {
  /** Increments per entry, a stable React key. */
  seq: number;
  /** Epoch ms of the latest event this entry counts. */
  time: number;
  actor: string;
  type: string;
  /** Who sent it when not the page itself: an invoked actor such as `chatStream`. */
  from?: string;
  payload: string;
  /** The same event in a row (a stream's deltas, keystrokes) is one entry that counts them. */
  count: number;
  /** The state the actor was in after the event. */
  state?: string;
}

export interface InspectorModel {
  /** In the order they first appeared. */
  machines: MachineView[];
  /** Oldest first, at most `LOG_LIMIT`. */
  log: LogEntry[];
  nextSeq: number;
}

export const emptyInspectorModel = (): InspectorModel => ({ machines: [], log: [], nextSeq: 1 });

/** `active.streaming` for `{ active: "streaming" }`; parallel regions are listed with commas. */
export function stateValueToString(value: StateValue): string {
  if (typeof value === "string") return value;
  const paths = Object.entries(value).map(([key, child]) => {
    if (child === undefined || (typeof child === "object" && Object.keys(child).length === 0)) return key;
    return stateValueToString(child)
      .split(", ")
      .map((path) => `${key}.${path}`)
      .join(", ");
  });
  return paths.join(", ");
}

const MAX_STRING = 24;
const MAX_PAYLOAD = 100;

function summarizeValue(value: unknown, depth: number): string {
  if (typeof value === "string") {
    return value.length <= MAX_STRING ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 16))}… (${value.length} chars)`;
  }
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `[${value.length}]`;
  if (depth > 0) return "{…}";
  return `{${summarizeFields(value as Record<string, unknown>, depth + 1)}}`;
}

function summarizeFields(fields: Record<string, unknown>, depth: number): string {
  return Object.entries(fields)
    .filter(([key, value]) => key !== "type" && value !== undefined)
    .map(([key, value]) => `${key}: ${summarizeValue(value, depth)}`)
    .join(", ");
}

/** An event's fields in a line: short strings as they are, long ones by their start and length. */
export function summarizePayload(event: AnyEventObject): string {
  const text = summarizeFields(event, 0);
  return text.length <= MAX_PAYLOAD ? text : `${text.slice(0, MAX_PAYLOAD - 1)}…`;
}

/** The figures worth watching in a machine's context; known machines only, the rest show none. */
export function summarizeContext(machine: string, context: unknown): [string, string][] {
  if (!context || typeof context !== "object") return [];
  if (machine === "chat") {
    const chat = context as Partial<ChatContext>;
    return [
      ["messages", String(chat.messages?.length ?? 0)],
      ["versions", String(chat.versions?.length ?? 0)],
      ["model", chat.model ?? "—"],
      ["draft", `${chat.draft?.length ?? 0} chars`],
      ["error", chat.error?.code ?? "—"],
    ];
  }
  if (machine === "preview") {
    const preview = context as Partial<PreviewContext>;
    const code = Object.values(preview.run?.files ?? {}).reduce((total, file) => total + file.length, 0);
    return [
      ["version", preview.run ? String(preview.run.version) : "—"],
      ["code", `${code} chars`],
      ["runs", String(preview.runCount ?? 0)],
      ["error", preview.error?.kind ?? preview.unavailableReason ?? "—"],
    ];
  }
  return [];
}

/** The fields of a running actor that inspection events carry but `ActorRefLike` does not type. */
type InspectedRef = Partial<ActorRefLike> & { sessionId: string; id?: string; src?: unknown };

/** A machine's id (`chat`), or for an invoked actor the name it was invoked by (`chatStream`). */
function actorName(ref: InspectedRef): string {
  const { src, id } = ref;
  if (typeof src === "string") return src;
  if (src && typeof src === "object" && "id" in src && typeof src.id === "string") return src.id;
  return id ?? ref.sessionId;
}

interface MachineSnapshotLike {
  status?: string;
  value?: StateValue;
  context?: unknown;
}

function updateMachine(model: InspectorModel, name: string, sessionId: string, snapshot: MachineSnapshotLike | undefined) {
  const view: MachineView = {
    name,
    sessionId,
    state: snapshot?.value === undefined ? "—" : stateValueToString(snapshot.value),
    status: snapshot?.status ?? "active",
    summary: summarizeContext(name, snapshot?.context),
  };
  const index = model.machines.findIndex((machine) => machine.name === name);
  return index < 0 ? [...model.machines, view] : model.machines.map((machine, i) => (i === index ? view : machine));
}

/** One inspection event applied to the model; `now` is its time (epoch ms). Root actors only: their children show as senders. */
export function applyInspectionEvent(
  model: InspectorModel,
  event: InspectionEvent,
  now: number,
  limit = LOG_LIMIT,
): InspectorModel {
  const ref = event.actorRef as InspectedRef;
  // An actor made but never started (React's strict mode makes two and keeps one) sends only
  // `@xstate.actor`: machines appear with their first event or snapshot instead.
  if (ref.sessionId !== event.rootId) return model;
  const name = actorName(ref);

  if (event.type === "@xstate.snapshot") {
    const snapshot = event.snapshot as MachineSnapshotLike;
    const machines = updateMachine(model, name, ref.sessionId, snapshot);
    const state = machines.find((machine) => machine.name === name)!.state;
    const log = [...model.log];
    for (let i = log.length - 1; i >= 0; i--) {
      if (log[i].actor !== name) continue;
      if (log[i].type === event.event.type) log[i] = { ...log[i], state };
      break;
    }
    return { ...model, machines, log };
  }

  if (event.type === "@xstate.event") {
    const source = event.sourceRef as InspectedRef | undefined;
    const from = source && source.sessionId !== ref.sessionId ? actorName(source) : undefined;
    const machines = model.machines.some((machine) => machine.name === name && machine.sessionId === ref.sessionId)
      ? model.machines
      : updateMachine(model, name, ref.sessionId, ref.getSnapshot?.() as MachineSnapshotLike | undefined);
    const payload = summarizePayload(event.event);
    const last = model.log.at(-1);
    if (last && last.actor === name && last.type === event.event.type && last.from === from) {
      return { ...model, machines, log: [...model.log.slice(0, -1), { ...last, time: now, payload, count: last.count + 1 }] };
    }
    const entry: LogEntry = { seq: model.nextSeq, time: now, actor: name, type: event.event.type, from, payload, count: 1 };
    return { machines, log: [...model.log, entry].slice(-limit), nextSeq: model.nextSeq + 1 };
  }

  return model;
}
