/**
 * The postMessage protocol between Kiln's page (the host) and its sandboxed preview frame (see
 * docs/architecture.md, "The preview"). Shared by both sides, so neither trusts what arrives: every
 * message is validated here, and anything else on the channel (browser extensions, the generated
 * app's own postMessage calls, an older frame) is dropped.
 *
 * The frame runs in an opaque origin (sandbox without allow-same-origin), so `event.origin` is the
 * string "null" for every such frame and says nothing; the sender's identity is `event.source`.
 */
import { z } from "zod";

/** Bumped when a message changes shape, so a cached frame of another release is not misread. */
export const PREVIEW_PROTOCOL = 1;

/** The file whose default export the frame renders. */
export const APP_ENTRY = "/App.tsx";

/** Path → code. Today only APP_ENTRY; the map keeps the door open for small multi-file apps. */
export type PreviewFiles = Record<string, string>;

export interface PreviewEnvelope {
  kiln: "preview";
  protocol: typeof PREVIEW_PROTOCOL;
}

/** Host → frame: compile and render this version. */
export interface RunMessage extends PreviewEnvelope {
  type: "run";
  version: number;
  files: PreviewFiles;
}

/** What the frame reports, before the envelope is added. */
export type FrameReport =
  | { type: "ready" }
  | { type: "rendered"; version: number }
  | {
      type: "error";
      version: number;
      kind: "compile" | "import" | "runtime";
      message: string;
      line?: number;
      column?: number;
    };

/** Frame → host. */
export type FrameMessage = PreviewEnvelope & FrameReport;

/** "timeout" is the host's own verdict (the app never finished rendering); the frame never sends it. */
export type PreviewErrorKind = "compile" | "import" | "runtime" | "timeout";

export interface PreviewError {
  kind: PreviewErrorKind;
  message: string;
  line?: number;
  column?: number;
}

/** A stack trace or a minified bundle can make a message huge; the UI and the fix prompt need its start. */
const MAX_MESSAGE_LENGTH = 4000;

const envelope = { kiln: z.literal("preview"), protocol: z.literal(PREVIEW_PROTOCOL) };
const version = z.number().int().positive();
const position = z.number().int().positive().optional();

const runSchema = z.object({
  ...envelope,
  type: z.literal("run"),
  version,
  files: z
    .record(z.string(), z.string())
    .refine((files) => Object.hasOwn(files, APP_ENTRY), { message: `files must contain ${APP_ENTRY}` }),
});

const frameSchema = z.discriminatedUnion("type", [
  z.object({ ...envelope, type: z.literal("ready") }),
  z.object({ ...envelope, type: z.literal("rendered"), version }),
  z.object({
    ...envelope,
    type: z.literal("error"),
    version,
    kind: z.enum(["compile", "import", "runtime"]),
    message: z
      .string()
      .trim()
      .min(1)
      .transform((message) => message.slice(0, MAX_MESSAGE_LENGTH)),
    line: position,
    column: position,
  }),
]);

export function runMessage(version: number, files: PreviewFiles): RunMessage {
  return { kiln: "preview", protocol: PREVIEW_PROTOCOL, type: "run", version, files };
}

/** The frame's side: the run message in `data`, or null for anything else. */
export function parseRunMessage(data: unknown): RunMessage | null {
  const parsed = runSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

export function frameMessage(report: FrameReport): FrameMessage {
  return { kiln: "preview", protocol: PREVIEW_PROTOCOL, ...report };
}

export function parseFrameMessage(data: unknown): FrameMessage | null {
  const parsed = frameSchema.safeParse(data);
  return parsed.success ? (parsed.data as FrameMessage) : null;
}

/**
 * The host's side: the frame's message in `event`, or null when it came from anywhere else. `frame`
 * is the iframe's current `contentWindow`; before it exists nothing can be from it.
 */
export function readFrameMessage(event: { source: unknown; data: unknown }, frame: unknown): FrameMessage | null {
  if (frame == null || event.source !== frame) return null;
  return parseFrameMessage(event.data);
}

const kindLabels: Record<Exclude<PreviewErrorKind, "timeout">, string> = {
  compile: "Compile error",
  import: "Import error",
  runtime: "Runtime error",
};

const TIMEOUT_LABEL = "The app did not finish rendering";

/** One line for the preview pane and for the prompt that asks the model to fix the error. */
export function describePreviewError(error: PreviewError): string {
  if (error.kind === "timeout") {
    // The machine's own timeout message already says it; do not say it twice.
    return error.message.startsWith(TIMEOUT_LABEL) ? error.message : `${TIMEOUT_LABEL}: ${error.message}`;
  }
  const at =
    error.line === undefined
      ? ""
      : error.column === undefined
        ? ` at line ${error.line}`
        : ` at line ${error.line}, column ${error.column}`;
  return `${kindLabels[error.kind]}${at}: ${error.message}`;
}
