import { useSelector } from "@xstate/react";
import type { ActorRefFrom } from "xstate";
import { useNow } from "~/hooks/use-now";
import { formatSeconds, formatSize } from "~/lib/format";
import type { ModelInfo } from "~/lib/model-info";
import type { chatMachine } from "../../machines/chat.machine";
import { selectPhase } from "../../machines/chat.selectors";

/**
 * What the chat is doing right now, with the way out: Stop while active; Retry, Switch model and Edit
 * after a failure.
 */
export function StatusLine({ chat, models }: { chat: ActorRefFrom<typeof chatMachine>; models: ModelInfo[] }) {
  const phase = useSelector(chat, selectPhase);
  const turn = useSelector(chat, (s) => s.context.turn);
  const size = useSelector(chat, (s) => s.context.draft.length || (s.context.messages.at(-1)?.role === "assistant" ? s.context.messages.at(-1)!.content.length : 0));
  const error = useSelector(chat, (s) => s.context.error);
  const model = useSelector(chat, (s) => s.context.model);
  const active = phase === "connecting" || phase === "writing";
  const now = useNow(active);
  if (phase === "idle" || !turn) return null;

  const elapsed = formatSeconds((turn.endedAt ?? now) - turn.startedAt);
  const providerLabel =
    models.find((m) => m.provider === turn.provider)?.providerLabel ?? models.find((m) => m.id === model)?.providerLabel ?? "the provider";
  const alternatives = models.filter((m) => m.available && m.id !== model);

  return (
    <div className={`status-line status-${phase}`} role="status" aria-live="polite" data-phase={phase}>
      <span className="status-text">
        {phase === "connecting" && <>Connecting to {providerLabel}… {elapsed}</>}
        {phase === "writing" && (
          <>
            Writing… {elapsed} · {formatSize(size)}
          </>
        )}
        {phase === "done" && (
          <>
            Done in {elapsed} · {formatSize(size)}
          </>
        )}
        {phase === "stopped" && <>Stopped after {elapsed}. The partial answer is kept.</>}
        {phase === "error" && error && (
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
        {(phase === "error" || phase === "stopped") && (
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
      </span>
    </div>
  );
}
