/**
 * A storage failure is a typed refusal on every route, through the production server: JSON
 * `503 storage_unavailable` with Retry-After (a 503 page with the same sentence for a page), the
 * server stays up, and once the storage is back everything works again without a restart
 * (docs/decisions/009-storage-failures-answer-503.md). How each failure is provoked, without root or
 * mount privileges, so it runs the same locally and in CI:
 *
 * - SQLite, a full disk: the Kiln process's RLIMIT_FSIZE soft limit is set to 1 byte (`prlimit`,
 *   util-linux), so every write into any file fails (EFBIG; Node ignores SIGXFSZ) and SQLite reports
 *   SQLITE_IOERR_WRITE, as it does on a full disk or a file system remounted read-only. Reads go on
 *   working, as they do on a real full disk. Making the database file or its folder read-only does not
 *   provoke anything: SQLite keeps the descriptors it opened read-write (and root ignores modes).
 * - SQLite, locked: another process holds the write lock longer than Kiln's busy_timeout (5 s), and
 *   writes fail with SQLITE_BUSY.
 * - Postgres, the database is down (with TEST_DATABASE_URL): Kiln reaches Postgres through a TCP
 *   proxy in this file, which is stopped (new connections refused, open ones cut) and started again
 *   on the same port. Reads fail too, so the pages answer 503 here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../support/fake-provider";
import { startKilnServer, type KilnServer } from "../support/kiln-server";
import { readSse } from "../support/read-sse";

const MODEL = "deepseek-ai/DeepSeek-V3";
const RETRY_AFTER = "5";
/** The sentence of every route's refusal but the relay's own (server/db/guarded-chat-store.server.ts). */
const SENTENCE = "Kiln's storage is unavailable right now; try again in a moment.";

/** Test-only text: no log line may hold it (drizzle's errors carry a query's parameters, i.e. prompts). */
const SECRET_PROMPT = "a timer, marker 7c1f0e-never-logged";

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake?.close();
});

function startKiln(databaseUrl: string, env: Record<string, string> = {}) {
  return startKilnServer({
    DATABASE_URL: databaseUrl,
    TOGETHER_API_KEY: "test-key",
    TOGETHER_BASE_URL: fake.url,
    KILN_MAX_RETRIES: "0",
    KILN_FALLBACK: "together",
    // The rate limiter runs (it writes a bucket per request) but never refuses: when its write fails
    // the request must go on to the storage refusal, not be refused as rate_limited or fail.
    KILN_RATE_LIMIT_PER_MINUTE: "60000",
    KILN_RATE_LIMIT_BURST: "10000",
    ...env,
  });
}

/** A browser against one server: it keeps the cookies Kiln sets (the chat's owner cookie). */
function browser(kiln: KilnServer) {
  let cookie: string | undefined;
  const send = async (path: string, body: unknown) => {
    const response = await fetch(`${kiln.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(cookie ? { Cookie: cookie } : {}) },
      body: JSON.stringify(body),
    });
    const set = response.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    return response;
  };
  return {
    createChat: () => send("/api/chats", { model: MODEL, title: "A timer" }),
    chat: (chatId: string, messages: Message[]) => send("/api/chat", { model: MODEL, chatId, messages }),
    share: (chatId: string, version = 1) => send("/api/shares", { chatId, version }),
    get: (path: string) => fetch(`${kiln.url}${path}`, { headers: cookie ? { Cookie: cookie } : {} }),
  };
}

type Browser = ReturnType<typeof browser>;
type Message = { role: "user" | "assistant"; content: string };
interface Saved {
  chatId: string;
  shareId: string;
  /** The conversation so far, as the browser holds it. */
  messages: Message[];
}

/** A chat with one version and a share of it, made while the storage works. */
async function chatWithShare(user: Browser): Promise<Saved> {
  const created = await user.createChat();
  expect(created.status).toBe(201);
  const { id: chatId } = (await created.json()) as { id: string };
  const prompt: Message = { role: "user", content: "a pomodoro timer" };
  const turn = await user.chat(chatId, [prompt]);
  expect(turn.status).toBe(200);
  const answer = await readSse(turn);
  expect(answer.sequence.at(-1)).toBe("done");
  const shared = await user.share(chatId);
  expect(shared.status).toBe(201);
  const { id: shareId } = (await shared.json()) as { id: string };
  return { chatId, shareId, messages: [prompt, { role: "assistant", content: answer.text }] };
}

/** The next turn of a saved chat, as the browser sends it. */
const followUp = (saved: Saved): Message[] => [...saved.messages, { role: "user", content: SECRET_PROMPT }];

/** The refusal: 503, JSON `{error:{code:"storage_unavailable", message}}`, Retry-After, never cached. */
async function expectStorageRefusal(response: Response, sentence: string | RegExp = SENTENCE) {
  const body = await response.text();
  expect({ status: response.status, body }).toMatchObject({ status: 503 });
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("retry-after")).toBe(RETRY_AFTER);
  const { error } = JSON.parse(body) as { error: { code: string; message: string } };
  expect(error.code).toBe("storage_unavailable");
  expect(error.message).toMatch(sentence);
}

/** A page: the 503 error page, in HTML, with the refusal's sentence. */
async function expectStoragePage(response: Response) {
  const html = await response.text();
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expect(response.headers.get("retry-after")).toBe(RETRY_AFTER);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(html).toContain("503 Service Unavailable");
  expect(html.replaceAll("&#x27;", "'")).toContain(SENTENCE);
}

/**
 * Remix's data request for a page (single fetch, `<path>.data`, what the browser sends when it
 * navigates): 503, with the refusal in Remix's own encoding, which the browser renders as the 503 page.
 */
async function expectStorageData(response: Response) {
  const text = await response.text();
  expect(response.status).toBe(503);
  expect(text).toContain('"storage_unavailable"');
  expect(text).toContain(JSON.stringify(SENTENCE));
}

async function expectStillUp(kiln: KilnServer) {
  expect(kiln.process.exitCode).toBeNull();
  const health = await fetch(`${kiln.url}/healthz`);
  expect(health.status).toBe(200);
}

function expectLogged(kiln: KilnServer, code: RegExp) {
  const lines = kiln.logs.filter((line) => line.includes('"msg":"storage unavailable"'));
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.some((line) => code.test(JSON.parse(line).code))).toBe(true);
  expect(kiln.logs.filter((line) => line.includes(SECRET_PROMPT))).toEqual([]);
  expect(kiln.logs.filter((line) => line.includes("Unexpected Server Error"))).toEqual([]);
}

const dataRequest = (routeFile: string) => `?_data=${encodeURIComponent(`routes/${routeFile}`)}`;

describe("SQLite: a full disk", () => {
  let kiln: KilnServer;
  let user: Browser;
  let saved: Saved;
  const prlimit = (limit: string) => execFileSync("prlimit", ["--pid", String(kiln.process.pid), `--fsize=${limit}`]);
  let softLimit: string;

  beforeAll(async () => {
    kiln = await startKiln(`file:${join(mkdtempSync(join(tmpdir(), "kiln-full-")), "kiln.db")}`);
    user = browser(kiln);
    saved = await chatWithShare(user);
    softLimit = execFileSync("prlimit", ["--pid", String(kiln.process.pid), "--fsize", "--output=SOFT", "--noheadings", "--raw"])
      .toString()
      .trim();
    // The soft limit only: the process may raise it again up to its hard limit, which needs no privilege.
    prlimit("1:");
  });

  afterAll(async () => {
    await kiln?.stop();
  });

  it("creating a chat, sending a turn and sharing answer 503 storage_unavailable with Retry-After", async () => {
    await expectStorageRefusal(await user.createChat());
    await expectStorageRefusal(await user.chat(saved.chatId, followUp(saved)), /storage|save/);
    await expectStorageRefusal(await user.share(saved.chatId));
    await expectStillUp(kiln);
    expectLogged(kiln, /^SQLITE_(IOERR|FULL)/);
  });

  it("what is saved can still be read: the chat and the share pages answer 200", async () => {
    const page = await user.get(`/chats/${saved.chatId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("a pomodoro timer");
    const data = await user.get(`/chats/${saved.chatId}${dataRequest("chats.$id")}`);
    expect(data.status).toBe(200);
    expect((await user.get(`/share/${saved.shareId}`)).status).toBe(200);
    expect((await user.get(`/share/${saved.shareId}${dataRequest("share.$id")}`)).status).toBe(200);
  });

  it("once there is room again, chats are created, answered and shared without a restart", async () => {
    prlimit(`${softLimit}:`);
    const again = await chatWithShare(user);
    expect((await user.get(`/chats/${again.chatId}`)).status).toBe(200);
    expect(kiln.logs.some((line) => line.includes('"msg":"storage available again"'))).toBe(true);
  });
});

describe("SQLite: another process holds the write lock longer than busy_timeout", () => {
  let kiln: KilnServer;
  let user: Browser;
  let file: string;
  let saved: Saved;

  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), "kiln-locked-")), "kiln.db");
    // better-sqlite3 waits out busy_timeout synchronously, the whole server with it: one request at a
    // time, and no rate-limit write in front of each (that would be a second 5 s wait).
    kiln = await startKiln(`file:${file}`, { KILN_RATE_LIMIT_PER_MINUTE: "0" });
    user = browser(kiln);
    saved = await chatWithShare(user);
  });

  afterAll(async () => {
    await kiln?.stop();
  });

  it(
    "writes answer 503 storage_unavailable after waiting 5 s, and work again once the lock is gone",
    { timeout: 40_000 },
    async () => {
      const other = new Database(file);
      try {
        other.exec("BEGIN IMMEDIATE");
        await expectStorageRefusal(await user.createChat());
        await expectStorageRefusal(await user.share(saved.chatId));
      } finally {
        other.exec("ROLLBACK");
        other.close();
      }
      expectLogged(kiln, /^SQLITE_BUSY/);
      await expectStillUp(kiln);
      expect((await user.createChat()).status).toBe(201);
    },
  );
});

/** A TCP proxy in front of Postgres that can be stopped (the database is down) and started again. */
async function startTcpProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const listening = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("error", () => socket.destroy());
          socket.on("close", () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => {
        port = (listening.address() as AddressInfo).port;
        server = listening;
        resolve();
      });
    });
  await start();
  return {
    url: () => {
      const url = new URL(target);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    start,
    async stop() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("Postgres: the database is down", () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let kiln: KilnServer;
  let user: Browser;
  let saved: Saved;

  beforeAll(async () => {
    proxy = await startTcpProxy(new URL(process.env.TEST_DATABASE_URL!));
    kiln = await startKiln(proxy.url());
    user = browser(kiln);
    saved = await chatWithShare(user);
    await proxy.stop();
  });

  afterAll(async () => {
    await kiln?.stop();
    await proxy?.stop().catch(() => {});
  });

  it("every write answers 503 storage_unavailable with Retry-After", async () => {
    await expectStorageRefusal(await user.createChat());
    await expectStorageRefusal(await user.chat(saved.chatId, followUp(saved)), /storage|save/);
    await expectStorageRefusal(await user.share(saved.chatId));
    expectLogged(kiln, /^(ECONNREFUSED|pg_connection)$/);
  });

  it("the chat and share pages answer a 503 page, and their data requests the JSON refusal", async () => {
    await expectStoragePage(await user.get(`/chats/${saved.chatId}`));
    await expectStoragePage(await user.get(`/share/${saved.shareId}`));
    await expectStorageRefusal(await user.get(`/chats/${saved.chatId}${dataRequest("chats.$id")}`));
    await expectStorageRefusal(await user.get(`/share/${saved.shareId}${dataRequest("share.$id")}`));
    await expectStorageData(await user.get(`/chats/${saved.chatId}.data`));
    await expectStorageData(await user.get(`/share/${saved.shareId}.data`));
  });

  it("the server stays up: /healthz answers, /readyz says the database is unreachable", async () => {
    await expectStillUp(kiln);
    const ready = await fetch(`${kiln.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", database: "unreachable" });
  });

  it("once the database is back, everything works again without a restart", async () => {
    await proxy.start();
    expect((await fetch(`${kiln.url}/readyz`)).status).toBe(200);
    expect((await user.get(`/chats/${saved.chatId}`)).status).toBe(200);
    expect((await user.get(`/share/${saved.shareId}`)).status).toBe(200);
    await chatWithShare(user);
  });
});
