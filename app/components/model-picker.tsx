import type { ModelInfo } from "../../machines/model-info";

/** Models grouped by provider; those of unconfigured providers are shown, disabled, with the reason. */
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
  for (const model of models) groups.set(model.providerLabel, [...(groups.get(model.providerLabel) ?? []), model]);
  return (
    <label className="model-picker">
      <span className="visually-hidden">Model</span>
      <select aria-label="Model" value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
        {[...groups].map(([provider, list]) => (
          <optgroup key={provider} label={list[0].available ? provider : `${provider} — not configured`}>
            {list.map((model) => (
              <option key={model.id} value={model.id} disabled={!model.available} title={model.reason}>
                {model.label}
                {model.available ? "" : " (unavailable)"}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}
