/**
 * Versions of the app: every complete answer whose code block closed is one, numbered from 1 in
 * conversation order. Pure and shared: the browser numbers versions with it, and the server uses the
 * same rule to find the message behind "share version 3".
 */
import { extractReply } from "./code-fence";

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

/** The version an answer makes, if it makes one; `prompt` is the user message it answers. */
export function versionOf(message: MessageLike, messageIndex: number, prompt?: MessageLike): Version | undefined {
  if (message.role !== "assistant" || message.state !== "complete") return undefined;
  const reply = extractReply(message.content);
  if (reply.fence !== "closed" || !reply.code.trim()) return undefined;
  return { code: reply.code, messageIndex, fromFix: prompt?.role === "user" && isFixPrompt(prompt.content) };
}

/** The number (from 1) of the version the answer at `messageIndex` made, if it made one. */
export function versionNumberOf(versions: Version[], messageIndex: number): number | undefined {
  const index = versions.findIndex((v) => v.messageIndex === messageIndex);
  return index >= 0 ? index + 1 : undefined;
}

export function versionsOf(messages: MessageLike[]): Version[] {
  return messages.flatMap((message, index) => versionOf(message, index, messages[index - 1]) ?? []);
}

/**
 * A follow-up aimed at an older version than the latest: the model sees that version's code, so the
 * change applies to what the user is looking at, and the history stays one straight line.
 */
export function followUpOnVersion(prompt: string, versionNumber: number, code: string): string {
  return `Start from version ${versionNumber} of the app (this code), not from the latest version:\n\n\`\`\`tsx\n${code}\n\`\`\`\n\n${prompt}`;
}

/** What the user typed, from a user message that `followUpOnVersion` may have wrapped (for EDIT). */
export function typedPrompt(content: string): string {
  if (!content.startsWith("Start from version ")) return content;
  const reply = extractReply(content);
  return reply.fence === "closed" ? reply.after : content;
}

const FIX_PROMPT_START = "The app fails with this error:";

/** The follow-up that asks the model to fix an error the preview reported. */
export function fixErrorPrompt(error: string): string {
  return `${FIX_PROMPT_START}\n\n\`\`\`\n${error.trim()}\n\`\`\`\n\nFix it and answer with the complete corrected file.`;
}

/**
 * Whether a user message asked for a fix. The saved conversation holds only text, so the prompt's
 * own opening is the mark: a version answering it survives a reload as a fix (never auto-fixed again).
 */
export function isFixPrompt(content: string): boolean {
  return typedPrompt(content).startsWith(FIX_PROMPT_START);
}
