import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { HomeScreen } from "~/components/home-screen";

export const meta: MetaFunction = () => [
  { title: "Kiln — prompt to React app" },
  { name: "description", content: "Describe an app and watch Kiln write it, with a live preview." },
];

export function loader({ context }: LoaderFunctionArgs) {
  const { config, providers } = context.kiln;
  const models = providers.listModels();
  const defaultModel = config.defaultModel ?? models.find((m) => m.available)?.id ?? models[0]?.id ?? "";
  return { models, defaultModel };
}

export default function Home() {
  const { models, defaultModel } = useLoaderData<typeof loader>();
  return <HomeScreen models={models} defaultModel={defaultModel} />;
}
