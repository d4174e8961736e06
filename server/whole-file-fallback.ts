/**
 * A follow-up answered with edit blocks that do not apply (a SEARCH the code does not have, or has
 * twice) must not become a half-applied version, nor leave the user to notice and retry: Kiln resets
 * the answer and asks the model once more, for the complete file (docs/wire-protocol.md;
 * docs/decisions/008-edit-blocks-applied-on-both-sides.md). Pure: the two completions are given.
 */
import { resolveEditAnswer, type AppliedEdits } from "../machines/edit-blocks";
import { EDIT_FAILED, EDIT_NOT_APPLIED, type WireEvent } from "../machines/wire-events";

type EditFailure = Extract<AppliedEdits, { ok: false }>;

export interface WholeFileFallbackOptions {
  /** The code the follow-up edits; undefined when there is no version yet (nothing to fall back for). */
  base: string | undefined;
  answer: AsyncIterable<WireEvent>;
  /** The same turn asked again, for the whole file only. Called at most once. */
  askForWholeFile: () => AsyncIterable<WireEvent>;
  onEditFailed?: (failure: EditFailure, attempt: 1 | 2) => void;
}

export async function* withWholeFileFallback(options: WholeFileFallbackOptions): AsyncGenerator<WireEvent> {
  // A first version has nothing to edit: its events pass through untouched, with no copy of the answer kept.
  if (options.base === undefined) return yield* options.answer;
  const first = yield* untilEditFails(options.answer, options.base);
  if (!first) return;
  options.onEditFailed?.(first, 1);
  yield { event: "reset", data: { reason: EDIT_NOT_APPLIED } };
  const second = yield* untilEditFails(options.askForWholeFile(), options.base);
  if (!second) return;
  options.onEditFailed?.(second, 2);
  yield {
    event: "error",
    data: {
      code: EDIT_FAILED,
      message: `The model's change did not apply to the code, even when asked for the whole file: ${second.message} Retry, or pick another model.`,
      retryable: true,
    },
  };
}

/**
 * Passes the events through, except a `done` whose answer holds edit blocks that fail on `base`:
 * that one is held back and the failure returned instead.
 */
async function* untilEditFails(
  events: AsyncIterable<WireEvent>,
  base: string | undefined,
): AsyncGenerator<WireEvent, EditFailure | undefined> {
  let answer = "";
  for await (const event of events) {
    if (event.event === "delta") answer += event.data.text;
    else if (event.event === "reset") answer = "";
    else if (event.event === "done") {
      const resolved = resolveEditAnswer(answer, base);
      if (resolved.kind === "edits" && !resolved.ok) return resolved.failure;
    }
    yield event;
  }
  return undefined;
}
