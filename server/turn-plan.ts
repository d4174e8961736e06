/**
 * What the provider is asked for a turn, from the conversation up to its user message: the system
 * prompt (a follow-up on a version may be answered with edit blocks against it, docs/wire-protocol.md),
 * the conversation fitted to the model's context (server/context-builder.ts) and the code the edit
 * blocks apply to. Pure; the relay plans a new turn with it, and a replica taking over a generation
 * plans the same turn again from the saved conversation.
 */
import { baseCodeFor, versionsOf } from "../machines/versions";
import type { ChatMessage } from "./chat-request";
import { buildContext, DEFAULT_MODEL_LIMITS, type ContextResult, type MessageImage } from "./context-builder";
import type { ResolvedModel } from "./providers/factory.server";
import { FOLLOW_UP_SYSTEM_PROMPT, SYSTEM_PROMPT } from "./system-prompt";

export interface TurnPlan {
  context: Extract<ContextResult, { ok: true }>;
  /** The code a follow-up's edit blocks apply to. */
  base: string | undefined;
}

/** `images`: the messages' images, for a model that reads them (sent as image parts); else none. */
export function planTurn(
  messages: ChatMessage[],
  target: Pick<ResolvedModel, "limits">,
  images?: ReadonlyMap<string, MessageImage>,
): { ok: true; plan: TurnPlan } | Extract<ContextResult, { ok: false }> {
  const base = editBase(messages);
  const context = buildContext({
    systemPrompt: base === undefined ? SYSTEM_PROMPT : FOLLOW_UP_SYSTEM_PROMPT,
    messages,
    limits: target.limits ?? DEFAULT_MODEL_LIMITS,
    ...(images && images.size > 0 ? { images } : {}),
  });
  return context.ok ? { ok: true, plan: { context, base } } : context;
}

/** The code the turn's answer may edit: the version the last user message builds on, if there is one. */
function editBase(messages: ChatMessage[]): string | undefined {
  const complete = messages.map((message) => ({ ...message, state: "complete" as const }));
  return baseCodeFor(versionsOf(complete.slice(0, -1)), messages.at(-1)?.content);
}
