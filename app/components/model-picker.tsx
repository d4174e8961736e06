import type { ModelInfo } from "../../machines/model-info";

/**
 * Models grouped by provider, each group saying what Kiln last heard from that provider (its key
 * rejected, unreachable). Models of unconfigured providers are shown, disabled, with the reason; a
 * provider that has listed no model yet shows as one disabled entry saying why.
 */
export function ModelPicker({
  models,
  value,
  onChange,
  disabled,
}: {
  models: ModelInfo[];
  value: string;
  onChange: (model: string) => void;
  disabled?: boolean;
}) {
  const groups = new Map<string, ModelInfo[]>();
  for (const model of models) groups.set(model.provider, [...(groups.get(model.provider) ?? []), model]);
  return (
    <label className="model-picker">
      <span className="visually-hidden">Model</span>
      <select aria-label="Model" value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
        {[...groups].map(([provider, list]) => (
          <optgroup key={provider} label={groupLabel(list[0])}>
            {list.map((model) => (
              <option
                key={model.id || `${provider}:none`}
                value={model.id}
                disabled={!model.available}
                title={model.reason ?? model.healthReason}
              >
                {model.label}
                {model.available || model.id === "" ? "" : " (unavailable)"}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}

/** The provider's name, and what stands in the way of using it; `reason` is only set for an unconfigured provider. */
function groupLabel({ providerLabel, reason, health }: ModelInfo): string {
  if (reason) return `${providerLabel} — not configured`;
  if (health === "auth_failed") return `${providerLabel} — API key rejected`;
  if (health === "unreachable") return `${providerLabel} — unreachable`;
  return providerLabel;
}
