/**
 * Generations across replicas, through the Postgres Kiln already runs (docs/decisions/
 * 013-generations-outlive-requests.md): the replica running a chat's generation mirrors its wire
 * events into `generation_events` (batched every FLUSH_MS) and says so with NOTIFY; another replica
 * a browser reattaches through follows it from the table, woken by LISTEN. A Stop through another
 * replica is a NOTIFY to the one running it. A generation whose replica drained (`interrupted`) or
 * went silent (no heartbeat for STALE_MS) is taken over by the first replica a browser reattaches
 * through (take-over.server.ts).
 *
 * Local browsers never wait for the database: they are attached to the in-memory generation.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { parseWireEvent } from "../../machines/wire-events";
import type { Logger } from "../logger.server";
import { Generation, type GenerationFrame } from "./generation.server";

const EVENTS_CHANNEL = "kiln_generation_events";
const STOP_CHANNEL = "kiln_generation_stop";
/** How long events wait to be written together: a remote follower is at most this much behind. */
const FLUSH_MS = 50;
/** The running replica writes at least this often, so that others can tell it is alive. */
const HEARTBEAT_MS = 5_000;
/** A running generation with no heartbeat for this long has lost its replica: it may be taken over. */
export const STALE_MS = 20_000;
/** Ended generations' rows are kept this long (reattaches after the end), then deleted. */
const KEEP_ENDED_MS = 60 * 60_000;

export interface SharedGenerationRow {
  id: string;
  chatId: string;
  replica: string;
  status: "running" | "interrupted" | "finished";
  model: string;
  turnPosition: number;
  lastSeq: number;
  updatedAt: number;
}

export interface SharedTurn {
  chatId: string;
  model: string;
  turnPosition: number;
}

export class SharedGenerations {
  /** Names this process in `generations.replica`. */
  readonly replica = randomUUID();
  private listener: pg.PoolClient | undefined;
  /** Generations of other replicas this one follows for its browsers, by id. */
  private readonly followed = new Map<string, { generation: Generation; catchUp: () => Promise<void> }>();
  private readonly pendingFlushes = new Set<Promise<void>>();
  /** The generations this replica shares, by id: their last write. */
  private readonly sharing = new Map<string, (status?: "finished" | "interrupted") => Promise<void>>();
  private sharedCount = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** Stops a generation this replica runs (a Stop said to another replica). */
    private readonly stopLocal: (id: string) => void,
  ) {}

  static async open(databaseUrl: string, logger: Logger, stopLocal: (id: string) => void): Promise<SharedGenerations> {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
    pool.on("error", () => {});
    const shared = new SharedGenerations(pool, logger, stopLocal);
    await shared.listen();
    return shared;
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    client.on("notification", (message) => {
      if (!message.payload) return;
      if (message.channel === EVENTS_CHANNEL) void this.followed.get(message.payload)?.catchUp();
      else if (message.channel === STOP_CHANNEL) this.stopLocal(message.payload);
    });
    client.on("error", (error) => {
      // The connection dropped (database restart): listen again on a new one; followers catch up then.
      this.logger.warn({ err: error }, "lost the LISTEN connection for shared generations; reconnecting");
      this.listener = undefined;
      client.release(true);
      setTimeout(() => void this.listen().catch(() => {}), 1_000).unref();
    });
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${STOP_CHANNEL}`);
    this.listener = client;
    for (const entry of this.followed.values()) void entry.catchUp();
  }

  /**
   * Mirrors a generation this replica runs: its row now, its events after `alreadyStored` as they
   * come (batched), its end.
   * A generation that stops without a final event (handed over) is left `interrupted` for a take-over.
   */
  share(generation: Generation, turn: SharedTurn, alreadyStored = 0): Promise<void> {
    const pending: GenerationFrame[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const registered = this.query(
      `INSERT INTO generations (id, chat_id, replica, status, model, turn_position, last_seq, started_at, updated_at)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $7)
       ON CONFLICT (id) DO UPDATE SET replica = $3, status = 'running', updated_at = $7`,
      [generation.id, turn.chatId, this.replica, turn.model, turn.turnPosition, alreadyStored, Date.now()],
    );
    let chain = registered;
    const flush = (status?: "finished" | "interrupted") => {
      clearTimeout(timer);
      timer = undefined;
      const frames = pending.splice(0);
      chain = chain.then(() => this.writeFrames(generation.id, frames, status));
      this.track(chain);
      return chain;
    };
    generation.observe(alreadyStored, (frame) => {
      pending.push(frame);
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    });
    const heartbeat = setInterval(() => {
      if (!timer) void flush();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    this.sharing.set(generation.id, flush);
    void generation.settled.finally(() => {
      clearInterval(heartbeat);
      this.sharing.delete(generation.id);
      void flush(generation.finished ? "finished" : "interrupted");
    });
    if (++this.sharedCount % 100 === 0) this.track(this.pruneEnded());
    // Its row: once written, a browser reattaching through another replica finds the generation.
    return registered;
  }

  private async writeFrames(id: string, frames: GenerationFrame[], status?: "finished" | "interrupted"): Promise<void> {
    try {
      if (frames.length > 0) {
        await this.pool.query(
          `INSERT INTO generation_events (generation_id, seq, event, data)
           SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [id, frames.map((f) => f.seq), frames.map((f) => f.event.event), frames.map((f) => JSON.stringify(f.event.data))],
        );
      }
      const lastSeq = frames.at(-1)?.seq;
      await this.pool.query(
        `UPDATE generations SET updated_at = $2, last_seq = COALESCE($3, last_seq), status = COALESCE($4, status)
         WHERE id = $1 AND replica = $5`,
        [id, Date.now(), lastSeq ?? null, status ?? null, this.replica],
      );
      if (frames.length > 0 || status) await this.pool.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, id]);
    } catch (error) {
      // Local browsers are unaffected; a browser on another replica misses events until the next write.
      this.logger.warn({ err: error, generationId: id }, "could not share a generation's events");
    }
  }

  /** Writes what is pending and marks the generation for another replica to take over (a drain). */
  async interrupt(id: string): Promise<void> {
    await this.sharing.get(id)?.("interrupted");
  }

  /** The chat's newest generation that is not finished, or the one named; undefined when there is none. */
  async find(chatId: string, id?: string | null): Promise<SharedGenerationRow | undefined> {
    const { rows } = await this.pool.query(
      id
        ? `SELECT * FROM generations WHERE id = $2 AND chat_id = $1`
        : `SELECT * FROM generations WHERE chat_id = $1 AND status <> 'finished' ORDER BY started_at DESC LIMIT 1`,
      id ? [chatId, id] : [chatId],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Whether a row's generation has nobody running it any more: drained, or its replica is gone. */
  static orphaned(row: SharedGenerationRow, now = Date.now()): boolean {
    return row.status === "interrupted" || (row.status === "running" && now - row.updatedAt > STALE_MS);
  }

  /**
   * Makes this replica the one running an orphaned generation, atomically (two replicas reattached
   * to at once: one wins). Returns its events so far, or undefined when another replica was first.
   */
  async claim(row: SharedGenerationRow): Promise<GenerationFrame[] | undefined> {
    const { rowCount } = await this.pool.query(
      `UPDATE generations SET replica = $2, status = 'running', updated_at = $3
       WHERE id = $1 AND (status = 'interrupted' OR (status = 'running' AND updated_at < $4))`,
      [row.id, this.replica, Date.now(), Date.now() - STALE_MS],
    );
    if (rowCount !== 1) return undefined;
    return this.framesAfter(row.id, 0);
  }

  private async framesAfter(id: string, afterSeq: number): Promise<GenerationFrame[]> {
    const { rows } = await this.pool.query(
      `SELECT seq, event, data FROM generation_events WHERE generation_id = $1 AND seq > $2 ORDER BY seq`,
      [id, afterSeq],
    );
    const frames: GenerationFrame[] = [];
    for (const row of rows as Array<{ seq: number; event: string; data: string }>) {
      const event = parseWireEvent(row.event, row.data);
      if (event) frames.push({ seq: row.seq, event });
    }
    return frames;
  }

  /**
   * A local copy of a generation another replica runs, kept up to date from the table: browsers attach
   * to it as to one of this replica's own. One copy per generation, forgotten after its end.
   */
  async follow(id: string, chatId: string): Promise<Generation> {
    const known = this.followed.get(id);
    if (known) return known.generation;
    // No grace: a copy never runs a provider, so there is nothing to stop.
    const copy = new Generation({ id, chatId, graceMs: 60 * 60_000 });
    let reading: Promise<void> | undefined;
    let again = false;
    const catchUp = async (): Promise<void> => {
      if (reading) {
        again = true;
        return reading;
      }
      reading = (async () => {
        do {
          again = false;
          try {
            // In order and without gaps: after a gap (a write not visible yet) read again shortly.
            for (const frame of await this.framesAfter(id, copy.lastSeq)) {
              if (!copy.publishCopied(frame)) {
                setTimeout(() => void catchUp(), FLUSH_MS).unref();
                break;
              }
            }
          } catch (error) {
            this.logger.warn({ err: error, generationId: id }, "could not read a shared generation's events");
          }
        } while (again && !copy.finished);
      })();
      await reading;
      reading = undefined;
      if (copy.finished) setTimeout(() => this.followed.delete(id), 60_000).unref();
    };
    this.followed.set(id, { generation: copy, catchUp });
    await catchUp();
    return copy;
  }

  /** Stop, for a generation another replica runs. */
  async requestStop(id: string): Promise<void> {
    await this.pool.query(`SELECT pg_notify($1, $2)`, [STOP_CHANNEL, id]);
  }

  private async pruneEnded(): Promise<void> {
    try {
      await this.pool.query(`DELETE FROM generations WHERE status <> 'running' AND updated_at < $1`, [
        Date.now() - KEEP_ENDED_MS,
      ]);
    } catch (error) {
      this.logger.warn({ err: error }, "could not delete old generations");
    }
  }

  private query(text: string, values: unknown[]): Promise<void> {
    const done = this.pool.query(text, values).then(
      () => {},
      (error: unknown) => this.logger.warn({ err: error }, "could not share a generation"),
    );
    this.track(done);
    return done;
  }

  private track(promise: Promise<void>): void {
    this.pendingFlushes.add(promise);
    void promise.finally(() => this.pendingFlushes.delete(promise));
  }

  /** Waits for every write in flight (a draining replica's last events and statuses), then closes. */
  async close(): Promise<void> {
    while (this.pendingFlushes.size > 0) await Promise.allSettled([...this.pendingFlushes]);
    this.listener?.release();
    await this.pool.end();
  }
}

function toRow(row: Record<string, unknown>): SharedGenerationRow {
  return {
    id: String(row.id),
    chatId: String(row.chat_id),
    replica: String(row.replica),
    status: row.status as SharedGenerationRow["status"],
    model: String(row.model),
    turnPosition: Number(row.turn_position),
    lastSeq: Number(row.last_seq),
    updatedAt: Number(row.updated_at),
  };
}
