/** Shown when no provider is configured: exactly what to set, and where. */
export function SetupNotice() {
  return (
    <section className="setup-notice" aria-label="Provider setup">
      <h2>Connect a model to start</h2>
      <p>No LLM provider is configured on this server yet. Set one of these in the server's environment and restart it:</p>
      <ul>
        <li>
          <strong>Together AI</strong>: <code>TOGETHER_API_KEY=…</code> (optionally <code>HELICONE_API_KEY=…</code> to go through
          the Helicone gateway)
        </li>
        <li>
          <strong>Backend.AI model service</strong>: <code>BACKEND_AI_ENDPOINT=https://…</code> and <code>MODEL_NAME=…</code>{" "}
          (plus <code>BACKEND_AI_API_KEY=…</code> unless the endpoint is public)
        </li>
        <li>
          <strong>Any OpenAI-compatible endpoint</strong> (OpenAI, vLLM, Ollama): list it in a JSON file named by{" "}
          <code>KILN_PROVIDERS</code>
        </li>
      </ul>
      <p>
        To try Kiln without any key, run <code>npm run dev:fake</code>: it starts a local fake provider. Every setting is
        described in <code>docs/configuration.md</code>.
      </p>
    </section>
  );
}
