import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useLocation } from "@remix-run/react";
import { ChatScreen } from "~/components/chat-screen";
import { identifyRequester, ownsChat } from "../../server/chat-owner.server";
import { runningGenerationOf } from "../../server/generations/chat-generation.server";
import { previewSettings } from "../../server/preview/preview-settings.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.chat.title} — Kiln` : "Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { store, providers, config } = context.kiln;
  const chat = await store.getChat(params.id ?? "");
  if (!chat) throw new Response("There is no chat at this address.", { status: 404, statusText: "Not Found" });
  const saved = await store.listMessages(chat.id);
  const requester = identifyRequester(request, config, context.fromTrustedProxy);
  const owned = chat.ownerHash === null || ownsChat(chat.ownerHash, requester);
  // The last turn is being answered: its owner's page attaches to it, and the answer it replaces (a
  // Retry's) is not shown meanwhile.
  const generation = owned ? await runningGenerationOf(context.kiln, chat.id) : undefined;
  const messages = generation && saved.at(-1)?.role === "assistant" ? saved.slice(0, -1) : saved;
  return {
    chat: { id: chat.id, title: chat.title, model: chat.model },
    // Anyone with the link reads the chat; only its owner writes (a chat made before ownership: its first writer).
    owned,
    generation,
    // An answer's receipt: its saved figures and who answered (the provider and model columns).
    messages: messages.map(({ role, content, state, provider, model, receipt, images }) => ({
      role,
      content,
      state,
      ...(images?.length ? { images } : {}),
      ...(receipt && provider && model ? { receipt: { ...receipt, provider, model } } : {}),
    })),
    models: providers.listModels(),
    // Public settings only: the browser never sees keys or provider URLs.
    preview: previewSettings(config),
    maxImageBytes: config.maxImageBytes,
  };
}

export default function ChatPage() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const state = location.state as { prompt?: string; model?: string; images?: string[] } | null;
  return (
    <ChatScreen
      key={data.chat.id}
      chat={data.chat}
      owned={data.owned}
      messages={data.messages}
      models={data.models}
      preview={data.preview}
      generation={data.generation}
      maxImageBytes={data.maxImageBytes}
      initialPrompt={state?.prompt ? { prompt: state.prompt, model: state.model, images: state.images } : undefined}
    />
  );
}
