/**
 * What the UI shows, derived from the chat machine's snapshot. Pure, so the rules ("the preview keeps
 * the last complete version while a new one streams") are unit-tested without a browser. What the
 * user may do next is not derived here: the UI asks the machine (`snapshot.can(event)`, its tags).
 */
import type { SnapshotFrom } from "xstate";
import { extractReply, type ExtractedReply } from "./code-fence";
import type { chatMachine } from "./chat.machine";
import { applyEditBlocks, isEditBlocks, parseEditBlocks, type ParsedEdits } from "./edit-blocks";
import { baseCodeFor, isFixPrompt, versionNumberOf } from "./versions";

export type ChatSnapshot = SnapshotFrom<typeof chatMachine>;

export type Phase = "idle" | "connecting" | "writing" | "retrying" | "done" | "stopped" | "error" | "timedOut";

/**
 * The status line's word for the state the chat is in: a label per state, so it names them. It
 * decides nothing: which buttons show is asked of the machine.
 */
export function selectPhase(snapshot: ChatSnapshot): Phase {
  if (snapshot.matches({ active: "requesting" })) return "connecting";
  if (snapshot.matches({ active: "streaming" })) return "writing";
  if (snapshot.matches({ active: "retrying" })) return "retrying";
  if (snapshot.matches("done")) return "done";
  if (snapshot.matches("stopped")) return "stopped";
  if (snapshot.matches("error")) return "error";
  if (snapshot.matches("timedOut")) return "timedOut";
  return "idle";
}

/** The streaming answer split into explanation and code, or null when nothing is streaming. */
export function selectDraftReply(snapshot: ChatSnapshot): ExtractedReply | null {
  return snapshot.matches("active") && snapshot.context.draft ? extractReplyOnce(snapshot.context.draft) : null;
}

// Several views read the draft on every update; they share one extraction per draft text.
let lastDraft: string | undefined;
let lastReply: ExtractedReply | undefined;
function extractReplyOnce(draft: string): ExtractedReply {
  if (draft !== lastDraft || !lastReply) {
    lastDraft = draft;
    lastReply = extractReply(draft);
  }
  return lastReply;
}

/** Index of the version on screen: the one the user picked, else the latest. */
export function selectShownVersion(snapshot: ChatSnapshot): number {
  return snapshot.context.selectedVersion ?? snapshot.context.versions.length - 1;
}

export interface PreviewVersion {
  /** Numbered from 1. */
  number: number;
  code: string;
  fromFix: boolean;
  /** The newest version (not an older one the user picked to look at). */
  latest: boolean;
}

/**
 * The version the preview runs: never half-written code. The answer streaming now counts as soon
 * as its code block closes (the prose after it changes no code), so the app starts while the last
 * sentence streams; should that answer then fail or stop, it makes no version and the preview goes
 * back to the last one. A version the user picked to look at stays until they pick another.
 */
export function selectPreviewVersion(snapshot: ChatSnapshot): PreviewVersion | null {
  const { versions, selectedVersion, messages } = snapshot.context;
  const draft = selectDraftReply(snapshot);
  if (selectedVersion === undefined && draft?.fence === "closed" && draft.code.trim()) {
    const prompt = messages.at(-1);
    const fromFix = prompt?.role === "user" && isFixPrompt(prompt.content);
    // Edit blocks run once they apply; when they do not, the server asks for the whole file and the
    // preview stays on the last version meanwhile.
    const code = isEditBlocks(draft.code) ? appliedOnce(baseCodeFor(versions, prompt?.content), draft.code) : draft.code;
    if (code !== undefined) return { number: versions.length + 1, code, fromFix, latest: true };
  }
  const shown = selectShownVersion(snapshot);
  const version = versions[shown];
  if (!version) return null;
  return { number: shown + 1, code: version.code, fromFix: version.fromFix, latest: shown === versions.length - 1 };
}

// The preview reads the applied draft on every update while the closing prose streams: apply once per draft.
let lastApplied: { base: string | undefined; code: string; result: string | undefined } | undefined;
function appliedOnce(base: string | undefined, code: string): string | undefined {
  if (lastApplied?.base !== base || lastApplied?.code !== code) {
    const applied = base === undefined ? undefined : applyEditBlocks(base, code);
    lastApplied = { base, code, result: applied?.ok ? applied.code : undefined };
  }
  return lastApplied.result;
}

export interface CodeViewState {
  code: string;
  writing: boolean;
  /** Numbered from 1. */
  version: number;
  /** While an answer of edit blocks streams: the blocks, to show as a diff against `base`. */
  edits?: { base: string; parsed: ParsedEdits };
}

/** The code view: the code as it streams in, else the version on screen. Versions are numbered from 1. */
export function selectCodeView(snapshot: ChatSnapshot): CodeViewState {
  const draft = selectDraftReply(snapshot);
  const versions = snapshot.context.versions;
  if (draft && draft.fence !== "none") {
    const writing = draft.fence === "open";
    const base = baseCodeFor(versions, snapshot.context.messages.at(-1)?.content);
    if (base !== undefined && isEditBlocks(draft.code)) {
      const applied = writing ? undefined : appliedOnce(base, draft.code);
      // Closed and applied: the complete new version. Open, or not applying: the change as a diff.
      if (applied !== undefined) return { code: applied, writing, version: versions.length + 1 };
      return { code: draft.code, writing, version: versions.length + 1, edits: { base, parsed: parseEditBlocks(draft.code) } };
    }
    return { code: draft.code, writing, version: versions.length + 1 };
  }
  const shown = selectShownVersion(snapshot);
  return { code: versions[shown]?.code ?? "", writing: false, version: shown + 1 };
}

/** Version number (1-based) of the answer at `messageIndex`, if that answer produced one. */
export function versionOfMessage(snapshot: ChatSnapshot, messageIndex: number): number | undefined {
  return versionNumberOf(snapshot.context.versions, messageIndex);
}
