/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting, fail readiness (so a load balancer stops
 * sending traffic), let open streams finish for up to KILN_DRAIN_MS, then hand the rest over to the
 * other replicas (with Postgres: browsers reattach through another replica, which takes the
 * generation over) or, alone, end them with a retryable `server_shutting_down` error (browsers
 * start the turn again), close the database and exit 0. Answers are saved before their final event goes out, so nothing in the
 * database is left half-written.
 */
import type { Server } from "node:http";
import type { KilnServices } from "./services.server";

/** Time for streams that were told to end to write their last event and save. */
const FINAL_FLUSH_MS = 5_000;

export function shutDownGracefully(server: Server, services: KilnServices, drainMs: number): Promise<void> {
  const { openStreams, logger, store, lifecycle } = services;
  lifecycle.draining = true;
  const started = Date.now();
  logger.info({ openStreams: openStreams.size, drainMs }, "shutting down: draining open streams");
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();

  return (async () => {
    const drained = await openStreams.waitUntilEmpty(drainMs);
    if (!drained) {
      logger.warn({ openStreams: openStreams.size }, "drain deadline reached: ending the remaining streams");
      openStreams.endAll();
      await openStreams.waitUntilEmpty(FINAL_FLUSH_MS);
    }
    // Ended responses leave idle keep-alive sockets: close those as they appear, so final events are
    // flushed rather than cut; only what is still busy after FINAL_FLUSH_MS is cut.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const timedOut = await Promise.race([closed.then(() => false), delay(FINAL_FLUSH_MS).then(() => true)]);
    clearInterval(sweep);
    if (timedOut) server.closeAllConnections();
    await closed;
    // The last events and statuses of generations handed over must reach the database first.
    await services.shared?.close();
    await store.close();
    logger.info({ durationMs: Date.now() - started, drained }, "shut down");
  })();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
