import { useRouteLoaderData } from "@remix-run/react";
import type { ModelInfo } from "../../machines/model-info";
import { formatReceipt, type Receipt } from "../../machines/receipt";

/** The chat page's route: its loader lists the models, with their providers' labels. */
const CHAT_ROUTE_ID = "routes/chats.$id";

/**
 * One line under a version: which provider and model really answered, time to first token, total
 * time, tokens in → out when the provider reported usage, retries and fallbacks (machines/receipt.ts).
 * Rendered on the chat page, whose loader data names the providers ("Together AI", not `together`);
 * an id no provider of this server has any more is shown as it is.
 */
export function VersionReceipt({ receipt }: { receipt: Receipt }) {
  const models = useRouteLoaderData<{ models: ModelInfo[] }>(CHAT_ROUTE_ID)?.models ?? [];
  const label = (id: string) => models.find((m) => m.provider === id)?.providerLabel;
  return (
    <p className="version-receipt" data-testid="version-receipt">
      {formatReceipt(receipt, label)}
    </p>
  );
}
