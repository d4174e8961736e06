import { useSelector } from "@xstate/react";
import type { ActorRefFrom } from "xstate";
import { useNow } from "~/hooks/use-now";
import { formatSeconds, formatSize } from "~/lib/format";
import type { ModelInfo } from "../../machines/model-info";
import { reasonText } from "~/lib/reason-text";
import type { chatMachine } from "../../machines/chat.machine";
import { selectPhase } from "../../machines/chat.selectors";

/**
 * What the chat is doing right now, with the way out: Stop while active; Retry, Switch model and Edit
 * after a failure, a stop or a time-out. The phase picks the words; which buttons show is asked of the
 * machine (its tags, `can`), so they follow its rules.
 */
export function StatusLine({ chat, models }: { chat: ActorRefFrom<typeof chatMachine>; models: ModelInfo[] }) {
  const phase = useSelector(chat, selectPhase);
  const active = useSelector(chat, (s) => s.hasTag("active"));
  const canRecover = useSelector(chat, (s) => s.hasTag("recoverable"));
  const canDismiss = useSelector(chat, (s) => s.can({ type: "DISMISS" }));
  const turn = useSelector(chat, (s) => s.context.turn);
  const retry = useSelector(chat, (s) => s.context.retry);
  const size = useSelector(chat, (s) => s.context.draft.length || lastAnswerLength(s.context.messages));
  // A reasoning model is thinking before it answers: no longer connecting, not yet writing.
  const thinking = useSelector(chat, (s) => s.context.reasoning !== "");
  const error = useSelector(chat, (s) => s.context.error);
  const model = useSelector(chat, (s) => s.context.model);
  const now = useNow(active);
  if (phase === "idle" || !turn) return null;

  const elapsed = formatSeconds((turn.endedAt ?? now) - turn.startedAt);
  const providerLabel = (id?: string) => models.find((m) => m.provider === id)?.providerLabel ?? id ?? "the provider";
  const current = providerLabel(turn.provider ?? models.find((m) => m.id === model)?.provider);
  const alternatives = models.filter((m) => m.available && m.id !== model);

  return (
    <div className={`status-line status-${phase}`} role="status" aria-live="polite" data-phase={phase}>
      <span className="status-text">
        {turn.fellBackFrom && active && (
          <span className="status-note">
            {providerLabel(turn.fellBackFrom)} failed; switched to {current}
            {turn.model ? ` (${turn.model})` : ""}.{" "}
          </span>
        )}
        {turn.autoFix && active && <span className="status-note">Fixing the error automatically… </span>}
        {turn.reconnected && active && (
          <span className="status-note" data-testid="reconnected-note">
            Reconnected.{" "}
          </span>
        )}
        {turn.continuation !== undefined && active && (
          <span className="status-note" data-testid="continuation-note">
            The answer was cut off; asking the model for the rest (attempt {turn.continuation})…{" "}
          </span>
        )}
        {turn.wholeFileRetry && active && (
          <span className="status-note" data-testid="whole-file-note">
            The edit did not apply; asking for the whole file…{" "}
          </span>
        )}
        {phase === "connecting" && !thinking && turn.imagesDescribedBy && (
          <span data-testid="describing-images">
            Reading your image with {turn.imagesDescribedBy}… {elapsed}
          </span>
        )}
        {phase === "connecting" && !thinking && !turn.imagesDescribedBy && (
          <>
            Connecting to {current}… {elapsed}
          </>
        )}
        {phase === "connecting" && thinking && <>Thinking… {elapsed}</>}
        {phase === "writing" && (
          <>
            Writing… {elapsed} · {formatSize(size)}
          </>
        )}
        {phase === "retrying" && retry && (
          <span data-testid="retry-countdown">
            {retry.source === "client" ? reasonText(retry.reason) : `${current}: ${reasonText(retry.reason)}`} — retrying in{" "}
            {Math.max(0, Math.ceil((retry.until - now) / 1000))} s (attempt {retry.attempt})
          </span>
        )}
        {phase === "done" && (
          <>
            Done in {elapsed} · {formatSize(size)}
          </>
        )}
        {phase === "stopped" && <>Stopped after {elapsed}. The partial answer is kept.</>}
        {(phase === "error" || phase === "timedOut") && error && (
          <>
            <strong className="error-code">{error.code}</strong> {error.message}
          </>
        )}
      </span>
      <span className="status-actions">
        {active && (
          <button type="button" onClick={() => chat.send({ type: "CANCEL" })}>
            Stop
          </button>
        )}
        {canRecover && (
          <>
            <button type="button" className="primary" onClick={() => chat.send({ type: "RETRY" })}>
              Retry
            </button>
            {alternatives.length > 0 && (
              <select
                aria-label="Switch model"
                value=""
                onChange={(e) => e.target.value && chat.send({ type: "SWITCH_MODEL", model: e.target.value })}
              >
                <option value="">Switch model…</option>
                {alternatives.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label} ({m.providerLabel})
                  </option>
                ))}
              </select>
            )}
            <button type="button" onClick={() => chat.send({ type: "EDIT" })}>
              Edit prompt
            </button>
          </>
        )}
        {canDismiss && (
          <button type="button" aria-label="Dismiss" onClick={() => chat.send({ type: "DISMISS" })}>
            ✕
          </button>
        )}
      </span>
    </div>
  );
}

function lastAnswerLength(messages: Array<{ role: string; content: string }>): number {
  const last = messages.at(-1);
  return last?.role === "assistant" ? last.content.length : 0;
}
