/**
 * Versions of the app: every complete answer whose code block closed is one, numbered from 1 in
 * conversation order; an answer of edit blocks is one when its blocks apply to the version it
 * follows up on (machines/edit-blocks.ts). Pure and shared: the browser numbers versions with it, and
 * the server uses the same rule to find the message behind "share version 3".
 */
import { extractReply } from "./code-fence";
import { isEditBlocks, resolveEditAnswer } from "./edit-blocks";

export interface Version {
  /** Complete code of this version (the fenced block of one finished answer). */
  code: string;
  /** Index in the conversation of the answer it came from. */
  messageIndex: number;
  /** The answer to a request to fix an error the preview reported (automatic or the Fix button). */
  fromFix: boolean;
}

interface MessageLike {
  role: "user" | "assistant";
  content: string;
  state: "complete" | "stopped" | "failed";
}

/**
 * The version an answer makes, if it makes one; `prompt` is the user message it answers, `versions`
 * the ones before it (the base of its edit blocks, if it has any).
 */
export function versionOf(
  message: MessageLike,
  messageIndex: number,
  prompt: MessageLike | undefined,
  versions: Version[],
): Version | undefined {
  if (message.role !== "assistant" || message.state !== "complete") return undefined;
  const reply = extractReply(message.content);
  if (reply.fence !== "closed" || !reply.code.trim()) return undefined;
  const fromFix = prompt?.role === "user" && isFixPrompt(prompt.content);
  if (!isEditBlocks(reply.code)) return { code: reply.code, messageIndex, fromFix };
  const resolved = resolveEditAnswer(message.content, baseCodeFor(versions, prompt?.content));
  return resolved.kind === "edits" && resolved.ok ? { code: resolved.code, messageIndex, fromFix } : undefined;
}

/**
 * The code a follow-up builds on: the version its prompt names (`followUpOnVersion`), else the latest.
 * Edit blocks in the answer apply to it.
 */
export function baseCodeFor(versions: Version[], prompt: string | undefined): string | undefined {
  if (prompt?.startsWith(FOLLOW_UP_START)) {
    const wrapped = extractReply(prompt);
    if (wrapped.fence === "closed") return wrapped.code;
  }
  return versions.at(-1)?.code;
}

/** The number (from 1) of the version the answer at `messageIndex` made, if it made one. */
export function versionNumberOf(versions: Version[], messageIndex: number): number | undefined {
  const index = versions.findIndex((v) => v.messageIndex === messageIndex);
  return index >= 0 ? index + 1 : undefined;
}

export function versionsOf(messages: MessageLike[]): Version[] {
  const versions: Version[] = [];
  messages.forEach((message, index) => {
    const version = versionOf(message, index, messages[index - 1], versions);
    if (version) versions.push(version);
  });
  return versions;
}

const FOLLOW_UP_START = "Start from version ";

/**
 * A follow-up aimed at an older version than the latest: the model sees that version's code, so the
 * change applies to what the user is looking at, and the history stays one straight line.
 */
export function followUpOnVersion(prompt: string, versionNumber: number, code: string): string {
  return `${FOLLOW_UP_START}${versionNumber} of the app (this code), not from the latest version:\n\n\`\`\`tsx\n${code}\n\`\`\`\n\n${prompt}`;
}

/** What the user typed, from a user message that `followUpOnVersion` may have wrapped (for EDIT). */
export function typedPrompt(content: string): string {
  if (!content.startsWith(FOLLOW_UP_START)) return content;
  const reply = extractReply(content);
  return reply.fence === "closed" ? reply.after : content;
}

const FIX_PROMPT_START = "The app fails with this error:";

/** The follow-up that asks the model to fix an error the preview reported. */
export function fixErrorPrompt(error: string): string {
  return `${FIX_PROMPT_START}\n\n\`\`\`\n${error.trim()}\n\`\`\`\n\nFix it, changing only what the fix needs.`;
}

/**
 * Whether a user message asked for a fix. The saved conversation holds only text, so the prompt's
 * own opening is the mark: a version answering it survives a reload as a fix (never auto-fixed again).
 */
export function isFixPrompt(content: string): boolean {
  return typedPrompt(content).startsWith(FIX_PROMPT_START);
}
