/**
 * Where in the app's own file an error was thrown, read from its stack. The frame evaluates the
 * compiled app under the source URL `/App.tsx` with no line added in front, so stack frames in the
 * app read `/App.tsx:LINE:COLUMN` with the user's line numbers (sucrase keeps lines; columns may be
 * shifted by renamed identifiers, so only the line is reported for runtime errors).
 */
export function appLineOf(error: unknown, sourceUrl = "/App.tsx"): number | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  if (!stack) return undefined;
  const escaped = sourceUrl.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const frame = new RegExp(`${escaped}:(\\d+):\\d+`).exec(stack);
  return frame ? Number(frame[1]) : undefined;
}

/** The one line shown for anything thrown: an Error's message, or the thrown value itself. */
export function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  if (typeof thrown === "string") return thrown;
  try {
    return `Uncaught ${JSON.stringify(thrown)}`;
  } catch {
    return `Uncaught ${String(thrown)}`;
  }
}
