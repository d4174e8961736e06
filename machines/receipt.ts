/**
 * A version's receipt: who really answered, how long it took, what it cost in tokens and what it took
 * to get there (retries, fallbacks). The server saves it with the answer (`messages.receipt`,
 * docs/storage.md); the chat machine builds the same one from a turn's wire events; the browser shows
 * it as one line under the version (app/components/version-receipt.tsx). Pure.
 */

/** What the `messages.receipt` column holds: the figures; who answered is in the `provider` and `model` columns. */
export interface ReceiptFigures {
  /** Milliseconds from the start of the request to the first piece of answer text; absent when none came. */
  firstTokenMs?: number;
  /** Milliseconds from the start of the request to its end (done, error or stop). */
  totalMs: number;
  /** Attempts of the same provider after a failed one (each announced by a `retry` event). */
  retries: number;
  /** Times the answer went to another provider (each announced by a `fallback` event). */
  fallbacks: number;
  /** The provider (id) first asked, when the answer came from another one. */
  fellBackFrom?: string;
  /**
   * Tokens as the provider reported them (`usage`), summed over the provider calls that made the
   * answer (continuations, the whole-file retry of an edit); absent when the provider reports no usage.
   */
  inputTokens?: number;
  outputTokens?: number;
}

/** The whole receipt of an answer, as the browser keeps it on the message. */
export interface Receipt extends ReceiptFigures {
  /** Provider id, e.g. `together`: the one that actually answered, after any fallback. */
  provider: string;
  model: string;
}

/** The tokens a `done` event reports (machines/wire-events.ts `usageData`), as receipt fields. */
export function usageFigures(
  usage: { promptTokens?: number; completionTokens?: number } | undefined,
): Pick<ReceiptFigures, "inputTokens" | "outputTokens"> {
  return {
    ...(usage?.promptTokens !== undefined && { inputTokens: usage.promptTokens }),
    ...(usage?.completionTokens !== undefined && { outputTokens: usage.completionTokens }),
  };
}

/** Seconds with one decimal, as the status line writes them. */
function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/**
 * Digits in groups of three with a narrow no-break space (1 934, 12 800), the same on the server and
 * in every browser: `toLocaleString` would differ between them and break hydration.
 */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

function tokens(receipt: Receipt): string | undefined {
  const { inputTokens: input, outputTokens: output } = receipt;
  if (input !== undefined && output !== undefined) return `${groupDigits(input)} → ${groupDigits(output)} tokens`;
  if (input !== undefined) return `${groupDigits(input)} tokens in`;
  if (output !== undefined) return `${groupDigits(output)} tokens out`;
  return undefined;
}

/**
 * The receipt as one line: "Together AI · deepseek-ai/DeepSeek-V3 · first token 0.4 s · 6.2 s ·
 * 812 → 1 934 tokens · 1 retry · fell back from Backend.AI". Parts that are unknown (no usage, no
 * text) or nothing to report (no retry, no fallback) are left out. `providerLabel` names a provider
 * id (the picker's labels); unknown ids are shown as they are.
 */
export function formatReceipt(receipt: Receipt, providerLabel: (id: string) => string | undefined = () => undefined): string {
  const label = (id: string) => providerLabel(id) ?? id;
  const parts = [label(receipt.provider), receipt.model];
  if (receipt.firstTokenMs !== undefined) parts.push(`first token ${seconds(receipt.firstTokenMs)}`);
  parts.push(seconds(receipt.totalMs));
  const used = tokens(receipt);
  if (used) parts.push(used);
  if (receipt.retries > 0) parts.push(receipt.retries === 1 ? "1 retry" : `${receipt.retries} retries`);
  if (receipt.fallbacks > 0) {
    const from = receipt.fellBackFrom ? ` from ${label(receipt.fellBackFrom)}` : "";
    parts.push(receipt.fallbacks === 1 ? `fell back${from}` : `fell back ${receipt.fallbacks} times${from}`);
  }
  return parts.join(" · ");
}
