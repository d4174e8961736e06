/**
 * The long-lived things the server builds once at start-up and hands to every request through
 * Remix's load context, so routes never build their own (one config, one client per provider, one
 * model discovery).
 */
import type { KilnConfig } from "./config.server";
import type { ChatStore } from "./db/chat-store";
import { guardChatStore } from "./db/guarded-chat-store.server";
import type { Logger } from "./logger.server";
import { createMetrics, type Metrics } from "./metrics.server";
import { createModelDiscovery, type ModelDiscovery } from "./providers/model-discovery.server";
import { Generations } from "./generations/generations.server";
import type { SharedGenerations } from "./generations/shared-generations.server";
import { OpenStreams } from "./open-streams";
import { createProviderFactory, type ProviderFactory } from "./providers/factory.server";

export interface KilnServices {
  config: KilnConfig;
  providers: ProviderFactory;
  /** Each provider's models and health from its `GET /models`; main.ts starts and stops its refreshes. */
  discovery: ModelDiscovery;
  logger: Logger;
  /** Guarded: a storage failure is thrown as a 503 `storage_unavailable` Response (db/guarded-chat-store.server.ts). */
  store: ChatStore;
  openStreams: OpenStreams;
  /** The answers this server is generating, and those that just ended (generations/generations.server.ts). */
  generations: Generations;
  /** With Postgres: generations shared with the other replicas (generations/shared-generations.server.ts). */
  shared?: SharedGenerations;
  metrics: Metrics;
  /** Set once a shutdown has begun: readiness fails and new chat requests are refused. */
  lifecycle: { draining: boolean };
}

export function createServices(config: KilnConfig, logger: Logger, store: ChatStore): KilnServices {
  const openStreams = new OpenStreams();
  const discovery = createModelDiscovery({ providers: config.providers, refreshMs: config.modelsRefreshMs, logger });
  return {
    config,
    providers: createProviderFactory(config, discovery),
    discovery,
    logger,
    store: guardChatStore(store, logger),
    openStreams,
    // An ended generation stays attachable as long as a detached one would have run on.
    generations: new Generations(config.detachedGraceMs),
    // The open-streams gauge is read at scrape time, so the relay never has to keep it in step.
    metrics: createMetrics({ openStreams: () => openStreams.size }),
    lifecycle: { draining: false },
  };
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    kiln: KilnServices;
    /**
     * The client's address: Express's req.ip, the TCP peer's address or, behind the proxies
     * KILN_TRUST_PROXY names, the right-most X-Forwarded-For entry those proxies did not write.
     */
    clientIp: string;
    /**
     * The TCP peer of this request is a proxy KILN_TRUST_PROXY trusts, so headers that proxy sets
     * (X-Forwarded-*, an identity header) are its word, not the client's. With a hop count every peer
     * counts as that proxy (Kiln must then be reachable only through it); with a list of addresses,
     * only the peers in it. False when KILN_TRUST_PROXY is unset.
     */
    fromTrustedProxy: boolean;
    /** This response's CSP nonce, for Remix's inline scripts (app/entry.server.tsx). */
    cspNonce?: string;
    /** Aborts when the client disconnects before the response finished (see app.server.ts). */
    clientGone: AbortSignal;
  }
}
