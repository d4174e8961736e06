import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { ChatWorkspace } from "~/components/chat-workspace";

export const meta: MetaFunction = () => [
  { title: "Kiln — prompt to React app" },
  { name: "description", content: "Describe an app and watch Kiln write it, with a live preview." },
];

export function loader({ context }: LoaderFunctionArgs) {
  const { config, providers } = context.kiln;
  const models = providers.listModels();
  const defaultModel =
    config.defaultModel ?? models.find((m) => m.available)?.id ?? models[0]?.id ?? "";
  return {
    models,
    defaultModel,
    // Public settings only: the browser never sees keys or provider URLs.
    preview: { bundlerUrl: config.sandpackBundlerUrl, timeoutMs: config.previewTimeoutMs },
  };
}

export default function Home() {
  const { models, defaultModel, preview } = useLoaderData<typeof loader>();
  return <ChatWorkspace models={models} defaultModel={defaultModel} preview={preview} />;
}
