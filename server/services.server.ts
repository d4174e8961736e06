/**
 * The long-lived things the server builds once at start-up and hands to every request through
 * Remix's load context, so routes never build their own (one config, one client per provider).
 */
import type { KilnConfig } from "./config.server";
import type { ChatStore } from "./db/chat-store.server";
import type { Logger } from "./logger.server";
import { createProviderFactory, type ProviderFactory } from "./provider-factory.server";

export interface KilnServices {
  config: KilnConfig;
  providers: ProviderFactory;
  logger: Logger;
  store: ChatStore;
}

export function createServices(config: KilnConfig, logger: Logger, store: ChatStore): KilnServices {
  return { config, providers: createProviderFactory(config), logger, store };
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    kiln: KilnServices;
  }
}
