/**
 * What the fake provider answers. The replies are deterministic and shaped like a real code model's
 * answer to "a pomodoro timer": a sentence, a ```tsx fence holding a complete single-file React +
 * TypeScript + Tailwind app, a closing sentence. Every reply holds multi-byte characters (an emoji
 * outside the BMP, accents, CJK, dashes) so that chunking tests meet UTF-8 and UTF-16 boundaries.
 */

/** Names accepted by `[fake:reply=NAME]`; `long:N` is a generated reply of about N tokens. */
export const fakeReplyNames = ["default", "no-code", "follow-up"] as const;
export type FakeReplyName = (typeof fakeReplyNames)[number];

/** A ceiling on `long:N` so that a typo in a benchmark prompt cannot exhaust memory. */
const MAX_LONG_TOKENS = 1_000_000;

/** The fake splits text into pieces of 2–6 characters, so a token is about 4 characters. */
const CHARS_PER_TOKEN = 4;

const LONG = /^long:(\d+)$/;

export function isFakeReplyName(name: string): boolean {
  const long = LONG.exec(name);
  if (long) return Number(long[1]) >= 1 && Number(long[1]) <= MAX_LONG_TOKENS;
  return (fakeReplyNames as readonly string[]).includes(name);
}

/** The text of a named reply; throws on a name that `isFakeReplyName` rejects. */
export function fakeReply(name: string = "default"): string {
  if (!isFakeReplyName(name)) throw new Error(`unknown fake reply: ${name}`);
  const long = LONG.exec(name);
  if (long) return longReply(Number(long[1]));
  return replies[name as FakeReplyName];
}

function pomodoroApp(button: { padding: string; iconSize: number }): string {
  return `import { useEffect, useState } from "react";
import { Pause, Play, RotateCcw } from "lucide-react";

const FOCUS_SECONDS = 25 * 60;

function format(seconds: number): string {
  const minutes = Math.floor(seconds / 60).toString().padStart(2, "0");
  const rest = (seconds % 60).toString().padStart(2, "0");
  return \`\${minutes}:\${rest}\`;
}

export default function App() {
  const [secondsLeft, setSecondsLeft] = useState(FOCUS_SECONDS);
  const [running, setRunning] = useState(false);

  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setSecondsLeft((s) => (s > 0 ? s - 1 : 0)), 1000);
    return () => clearInterval(id);
  }, [running]);

  useEffect(() => {
    if (secondsLeft === 0) setRunning(false);
  }, [secondsLeft]);

  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-8 bg-slate-900 text-slate-100">
      <h1 className="text-3xl font-semibold">🍅 Pomodoro — 集中</h1>
      <p className="font-mono text-7xl tabular-nums">{format(secondsLeft)}</p>
      <div className="flex gap-4">
        <button
          onClick={() => setRunning((r) => !r)}
          className="flex items-center gap-2 rounded-lg bg-rose-500 ${button.padding} font-medium hover:bg-rose-400"
        >
          {running ? <Pause size={${button.iconSize}} /> : <Play size={${button.iconSize}} />}
          {running ? "Pause" : "Start"}
        </button>
        <button
          onClick={() => {
            setRunning(false);
            setSecondsLeft(FOCUS_SECONDS);
          }}
          className="flex items-center gap-2 rounded-lg bg-slate-700 ${button.padding} font-medium hover:bg-slate-600"
        >
          <RotateCcw size={${button.iconSize}} />
          Reset
        </button>
      </div>
      <p className="text-sm text-slate-400">When the bell rings, take a café break ☕</p>
    </div>
  );
}`;
}

const replies: Record<FakeReplyName, string> = {
  default: `Here's a pomodoro timer — a 25-minute focus session with start, pause and reset, in a dark Tailwind theme 🍅:

\`\`\`tsx
${pomodoroApp({ padding: "px-4 py-2", iconSize: 18 })}
\`\`\`

Press **Start** to begin; at 00:00 the timer stops on its own, so you know it's time for that café break.`,

  "follow-up": `Sure — here's the same timer with bigger buttons, easier to hit on a phone 👍:

\`\`\`tsx
${pomodoroApp({ padding: "px-8 py-4 text-xl", iconSize: 28 })}
\`\`\`

The buttons now use larger padding, text and icons; everything else is unchanged.`,

  "no-code": `A pomodoro is a 25-minute block of focused work followed by a 5-minute break — the name comes from the tomato-shaped kitchen timer 🍅 Francesco Cirillo used as a student. After four rounds, take a longer pause of 15–30 minutes, perhaps with a café au lait. In Japan it is known as ポモドーロ・テクニック.`,
};

const CITIES = ["東京", "Zürich", "São Paulo", "Kraków", "Reykjavík"];

/** A big but valid single-file app (a searchable table) of about `tokens` tokens, for benchmarks. */
export function longReply(tokens: number): string {
  const head = `Here's a searchable task table — generated to be long, for benchmarking 📊:

\`\`\`tsx
import { useState } from "react";
import { Search } from "lucide-react";

type Row = { id: number; name: string; city: string; score: number };

const ROWS: Row[] = [
`;
  const tail = `];

export default function App() {
  const [query, setQuery] = useState("");
  const visible = ROWS.filter((row) => row.name.toLowerCase().includes(query.toLowerCase()));

  return (
    <div className="min-h-screen bg-slate-50 p-8">
      <label className="mb-4 flex items-center gap-2 rounded-lg border bg-white px-3 py-2">
        <Search size={16} />
        <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Filter…" className="flex-1 outline-none" />
      </label>
      <table className="w-full text-left text-sm">
        <tbody>
          {visible.map((row) => (
            <tr key={row.id} className="border-b">
              <td className="py-1">{row.name}</td>
              <td>{row.city}</td>
              <td className="text-right tabular-nums">{row.score}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
\`\`\`

That's the whole table; type in the box to filter the rows.`;
  const target = tokens * CHARS_PER_TOKEN;
  const rows: string[] = [];
  let length = head.length + tail.length;
  for (let id = 1; id === 1 || length < target; id++) {
    const city = CITIES[id % CITIES.length];
    const row = `  { id: ${id}, name: "Task ${id} — café ☕", city: "${city}", score: ${
      (id * 37) % 100
    } },\n`;
    rows.push(row);
    length += row.length;
  }
  return head + rows.join("") + tail;
}
