/**
 * What the fake provider answers. The replies are deterministic and shaped like a real code model's
 * answer to "a pomodoro timer": a sentence, a ```tsx fence holding a complete single-file React +
 * TypeScript + Tailwind app, a closing sentence. Every reply holds multi-byte characters (an emoji
 * outside the BMP, accents, CJK, dashes) so that chunking tests meet UTF-8 and UTF-16 boundaries.
 */

/** Names accepted by `[fake:reply=NAME]`; `long:N` is a generated reply of about N tokens. */
export const fakeReplyNames = [
  "default",
  "no-code",
  "follow-up",
  "edit",
  "bad-edit",
  "chart",
  "runtime-error",
  "runtime-error-again",
  "handler-error",
  "compile-error",
  "import-error",
  "unknown-icon",
] as const;
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

/** Lines of `pomodoroApp`, as a model would copy them into a SEARCH. */
function startButton(button: { padding: string; iconSize: number }): string {
  return `          className="flex items-center gap-2 rounded-lg bg-rose-500 ${button.padding} font-medium hover:bg-rose-400"
        >
          {running ? <Pause size={${button.iconSize}} /> : <Play size={${button.iconSize}} />}`;
}

function resetButton(button: { padding: string; iconSize: number }): string {
  return `          className="flex items-center gap-2 rounded-lg bg-slate-700 ${button.padding} font-medium hover:bg-slate-600"
        >
          <RotateCcw size={${button.iconSize}} />`;
}

function editBlock(search: string, replace: string): string {
  return `<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE`;
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

  // The same change as "follow-up", sent as edit blocks: applied to "default", it makes "follow-up"'s file exactly.
  edit: `Sure — bigger buttons, easier to hit on a phone 👍:

\`\`\`tsx
${editBlock(startButton({ padding: "px-4 py-2", iconSize: 18 }), startButton({ padding: "px-8 py-4 text-xl", iconSize: 28 }))}

${editBlock(resetButton({ padding: "px-4 py-2", iconSize: 18 }), resetButton({ padding: "px-8 py-4 text-xl", iconSize: 28 }))}
\`\`\`

The buttons now use larger padding, text and icons; everything else is unchanged.`,

  // Edit blocks whose SEARCH the pomodoro does not hold (a colour the model misremembered).
  "bad-edit": `Sure — bigger buttons 👍:

\`\`\`tsx
${editBlock(startButton({ padding: "px-4 py-2", iconSize: 18 }).replace("bg-rose-500", "bg-blue-500"), startButton({ padding: "px-8 py-4 text-xl", iconSize: 28 }))}
\`\`\`

The buttons are bigger now.`,

  chart: `Here's a chart of weekly focus hours — add a week to see it grow 📈:

\`\`\`tsx
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, XAxis, YAxis } from "recharts";

const START = [
  { week: "W1", hours: 12 },
  { week: "W2", hours: 18 },
  { week: "W3", hours: 9 },
];

export default function App() {
  const [data, setData] = useState(START);
  const addWeek = () => setData((d) => [...d, { week: \`W\${d.length + 1}\`, hours: 5 + d.length * 3 }]);
  return (
    <div className="p-6">
      <h1 className="mb-4 text-xl font-semibold">Focus hours — 集中時間</h1>
      <BarChart width={480} height={260} data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="week" />
        <YAxis />
        <Bar dataKey="hours" fill="#f43f5e" isAnimationActive={false} />
      </BarChart>
      <button onClick={addWeek} className="mt-4 rounded bg-rose-500 px-4 py-2 text-white">
        Add a week
      </button>
    </div>
  );
}
\`\`\`

Each click adds a week.`,

  "runtime-error": failingOnMount("default"),

  "runtime-error-again": failingOnMount("runtime-error-again"),

  "handler-error": `Here's a counter with a reset that is not wired up yet 🔢:

\`\`\`tsx
import { useState } from "react";

export default function App() {
  const [count, setCount] = useState(0);
  const reset = (): void => {
    throw new Error("Reset is not implemented [fake:reply=default]");
  };
  return (
    <div className="p-6">
      <p>Count: {count}</p>
      <button onClick={() => setCount(count + 1)}>Add</button>
      <button onClick={reset}>Reset</button>
    </div>
  );
}
\`\`\`

Add counts up.`,

  "compile-error": `Here's a greeting card 💌:

\`\`\`tsx
export default function App() {
  const name: string = "Zoë";
  return (
    <div className="p-6">
      <h1>Hello, {name}</h1>
    </div>
  ;
}
\`\`\`

It greets Zoë.`,

  "import-error": `Here's an animated card, with framer-motion ✨:

\`\`\`tsx
import { useState } from "react";
import { motion } from "framer-motion";

export default function App() {
  const [open, setOpen] = useState(false);
  return <motion.div onClick={() => setOpen(!open)}>{open ? "Open" : "Closed"}</motion.div>;
}
\`\`\`

Click the card.`,

  "unknown-icon": `Here's a weather badge ☀️:

\`\`\`tsx
import { Sun, SunnyCloudy } from "lucide-react";

export default function App() {
  return (
    <p className="flex gap-2 p-6">
      <Sun /> <SunnyCloudy /> 24 °C
    </p>
  );
}
\`\`\`

A sunny day.`,

  "no-code": `A pomodoro is a 25-minute block of focused work followed by a 5-minute break — the name comes from the tomato-shaped kitchen timer 🍅 Francesco Cirillo used as a student. After four rounds, take a longer pause of 15–30 minutes, perhaps with a café au lait. In Japan it is known as ポモドーロ・テクニック.`,
};

/**
 * Apps that fail in the preview, for its error and auto-fix tests. Kiln's fix prompt quotes the
 * app's error message, and the fake reads directives from the prompt: so a broken app's message
 * names the reply its fix gets (`runtime-error` is fixed by the default app, `runtime-error-again`
 * by itself: a fix that fails again).
 */
function failingOnMount(fixReply: string): string {
  return `Here's a tally counter that keeps its count in a ledger 🧮:

\`\`\`tsx
import { useEffect, useState } from "react";

export default function App() {
  const [count, setCount] = useState(0);
  useEffect(() => {
    const ledger: { entries: number[] } | undefined = undefined;
    if (!ledger) throw new Error("The ledger is missing [fake:reply=${fixReply}]");
  }, []);
  return <button onClick={() => setCount(count + 1)}>Count: {count}</button>;
}
\`\`\`

Click to count.`;
}

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
    const row = `  { id: ${id}, name: "Task ${id} — café ☕", city: "${city}", score: ${(id * 37) % 100} },\n`;
    rows.push(row);
    length += row.length;
  }
  return head + rows.join("") + tail;
}
