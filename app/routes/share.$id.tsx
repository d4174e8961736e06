import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { AppPreview } from "~/components/preview/app-preview";
import { usePreview } from "~/components/preview/use-preview";
import { extractReply } from "../../machines/code-fence";
import { previewSettings } from "../../server/preview/preview-settings.server";

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { store, config } = context.kiln;
  const share = await store.getShare(params.id ?? "");
  if (!share) throw new Response("There is no shared app at this address.", { status: 404, statusText: "Not Found" });
  const preview = previewSettings(config);
  // The frozen snapshot: what the owner published, whatever the chat holds now.
  if (share.code !== null) {
    return {
      title: share.title ?? "",
      summary: share.summary ?? "",
      code: share.code,
      model: share.model,
      sharedAt: share.createdAt,
      preview,
    };
  }
  // A share made before snapshots existed: it still reads its message.
  const message = await store.getMessage(share.messageId);
  const chat = message && (await store.getChat(message.chatId));
  if (!message || !chat) throw new Response("There is no shared app at this address.", { status: 404, statusText: "Not Found" });
  const reply = extractReply(message.content);
  return {
    title: chat.title,
    summary: reply.before.replace(/\s+/g, " ").trim().slice(0, 200),
    code: reply.code,
    model: message.model,
    sharedAt: share.createdAt,
    preview,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  if (!data) return [{ title: "Not found — Kiln" }];
  const description = data.summary || `A React app made with Kiln: ${data.title}`;
  return [
    { title: `${data.title} — made with Kiln` },
    { name: "description", content: description },
    { property: "og:title", content: `${data.title} — made with Kiln` },
    { property: "og:description", content: description },
    { property: "og:type", content: "website" },
  ];
};

/** A shared version, read-only: the running app and its code. Model output is shown as text only. */
export default function SharedApp() {
  const { title, summary, code, model, sharedAt, preview: settings } = useLoaderData<typeof loader>();
  // Read-only: the version runs like in the chat, with no fix to ask for.
  const preview = usePreview({ settings, version: { number: 1, code, fromFix: false, autoFixable: false } });
  return (
    <main className="shared">
      <header className="shared-header">
        <a href="/" className="brand">
          🔥 Kiln
        </a>
        <h1>{title}</h1>
        {summary && <p className="muted">{summary}</p>}
        <p className="muted" data-testid="share-receipt">
          Shared {new Date(sharedAt).toISOString().slice(0, 10)}
          {model ? ` · made with ${model}` : ""} · a snapshot: later changes to the chat do not change this page
        </p>
        <a href="/" className="button-link">
          Make your own
        </a>
      </header>
      <div className="shared-body">
        <AppPreview preview={preview} settings={settings} />
        <section className="code-view" aria-label="Code">
          <header className="panel-header">
            <span>App.tsx</span>
          </header>
          <pre data-testid="code-view">
            <code>{code}</code>
          </pre>
        </section>
      </div>
    </main>
  );
}
