import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMetrics,
  httpMetrics,
  metricsHandler,
  routeLabel,
  type Metrics,
  type MetricsEndpointOptions,
} from "./metrics.server";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A real Express app on a free port serving GET /metrics (and /hello, counted by httpMetrics). */
async function serve(metrics: Metrics, options: MetricsEndpointOptions): Promise<string> {
  const app = express();
  app.use(httpMetrics(metrics));
  app.get("/metrics", metricsHandler(metrics, options));
  app.get("/hello", (_req, res) => {
    res.send("hi");
  });
  app.get("/chats/:id", (_req, res) => {
    res.status(404).send("no");
  });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("createMetrics", () => {
  it("exposes every Kiln metric with its labels in the Prometheus text format", async () => {
    const metrics = createMetrics();
    const chat = metrics.startChat();
    chat.firstDelta("together", "Qwen/Qwen3-Coder");
    chat.firstDelta("together", "Qwen/Qwen3-Coder"); // only the first one counts
    chat.retry("together", "stream_stalled");
    chat.fallback("together", "backend-ai");
    chat.end({ provider: "backend-ai", model: "my-model", outcome: "done" });
    chat.end({ provider: "backend-ai", model: "my-model", outcome: "done" }); // idempotent
    metrics.httpRequests.inc({ method: "POST", route: "/api/chat", status: "200" });

    const text = await metrics.registry.metrics();
    expect(text).toContain('kiln_chat_requests_total{provider="backend-ai",model="my-model",outcome="done"} 1');
    expect(text).toContain('kiln_chat_first_delta_seconds_count{provider="together",model="Qwen/Qwen3-Coder"} 1');
    expect(text).toContain('kiln_chat_first_delta_seconds_bucket{le="0.05",provider="together",model="Qwen/Qwen3-Coder"}');
    expect(text).toContain('kiln_chat_first_delta_seconds_bucket{le="60",provider="together",model="Qwen/Qwen3-Coder"} 1');
    expect(text).toContain('kiln_chat_duration_seconds_count{provider="backend-ai",model="my-model",outcome="done"} 1');
    expect(text).toContain('kiln_chat_retries_total{provider="together",reason="stream_stalled"} 1');
    expect(text).toContain('kiln_chat_fallbacks_total{from="together",to="backend-ai"} 1');
    expect(text).toContain('kiln_http_requests_total{method="POST",route="/api/chat",status="200"} 1');
    expect(text).toMatch(/^kiln_open_streams 0$/m);
    // Node's default process metrics come along.
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(metrics.registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts open streams up and down with startChat/end", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const a = metrics.startChat();
    metrics.startChat();
    expect(await metrics.registry.getSingleMetricAsString("kiln_open_streams")).toMatch(/^kiln_open_streams 2$/m);
    a.end({ provider: "p", model: "m", outcome: "client_closed" });
    a.end({ provider: "p", model: "m", outcome: "client_closed" });
    expect(await metrics.registry.getSingleMetricAsString("kiln_open_streams")).toMatch(/^kiln_open_streams 1$/m);
  });

  it("reads open streams from a callback at scrape time when given one", async () => {
    let open = 3;
    const metrics = createMetrics({ defaultMetrics: false, openStreams: () => open });
    metrics.startChat(); // does not touch the gauge
    expect(await metrics.registry.getSingleMetricAsString("kiln_open_streams")).toMatch(/^kiln_open_streams 3$/m);
    open = 0;
    expect(await metrics.registry.getSingleMetricAsString("kiln_open_streams")).toMatch(/^kiln_open_streams 0$/m);
  });

  it("keeps separate registries apart, so several instances can live in one process", async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.retries.inc({ provider: "a", reason: "x" });
    expect(await one.registry.metrics()).toContain('kiln_chat_retries_total{provider="a",reason="x"} 1');
    expect(await two.registry.metrics()).not.toContain('provider="a"');
  });
});

describe("routeLabel", () => {
  it("turns paths into bounded route patterns", () => {
    expect(routeLabel("/")).toBe("/");
    expect(routeLabel("/api/chat")).toBe("/api/chat");
    expect(routeLabel("/api/chats?limit=5")).toBe("/api/chats");
    expect(routeLabel("/chats/AbC123_-xyz")).toBe("/chats/:id");
    expect(routeLabel("/chats/AbC123_-xyz.data")).toBe("/chats/:id");
    expect(routeLabel("/_root.data")).toBe("/");
    expect(routeLabel("/share/q1w2e3")).toBe("/share/:id");
    expect(routeLabel("/assets/entry.client-B1x2.js")).toBe("/assets/*");
    expect(routeLabel("/favicon.svg")).toBe("static");
    expect(routeLabel("/wp-admin/setup.php")).toBe("other");
  });
});

describe("metricsHandler", () => {
  it("answers 404 when metrics are off, even with a token", async () => {
    const url = await serve(createMetrics(), { enabled: false, token: "s3cret-token" });
    const response = await fetch(`${url}/metrics`, { headers: { Authorization: "Bearer s3cret-token" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("serves the exposition text with the registry's content type when on without a token", async () => {
    const metrics = createMetrics();
    const url = await serve(metrics, { enabled: true });
    await fetch(`${url}/hello?x=1`).then((r) => r.text());
    await fetch(`${url}/chats/abc`).then((r) => r.text());
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(metrics.registry.contentType);
    const text = await response.text();
    expect(text).toContain("# TYPE kiln_chat_requests_total counter");
    expect(text).toContain("# TYPE kiln_chat_first_delta_seconds histogram");
    expect(text).toContain('kiln_http_requests_total{method="GET",route="other",status="200"} 1');
    expect(text).toContain('kiln_http_requests_total{method="GET",route="/chats/:id",status="404"} 1');
  });

  it("with a token: 401 without it, with a wrong one or another scheme; 200 with it", async () => {
    const url = await serve(createMetrics(), { enabled: true, token: "s3cret-token" });
    for (const headers of [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: "Bearer s3cret-token-and-more" },
      { Authorization: "Basic s3cret-token" },
      { Authorization: "s3cret-token" },
    ] as Record<string, string>[]) {
      const response = await fetch(`${url}/metrics`, { headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = await response.json();
      expect(body).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
      expect(JSON.stringify(body)).not.toContain("s3cret");
    }
    const ok = await fetch(`${url}/metrics`, { headers: { Authorization: "Bearer s3cret-token" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("kiln_open_streams");
    const lowercase = await fetch(`${url}/metrics`, { headers: { Authorization: "bearer s3cret-token" } });
    expect(lowercase.status).toBe(200);
  });
});
