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
  "large-app",
  "large-app-edit",
  "large-app-rewrite",
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

/**
 * A realistic ~330-line single-file app (a household finance dashboard: stat cards, a recharts cash-flow
 * chart, budgets, a searchable table, a form), for the follow-up benchmark (bench/follow-ups.ts): its
 * header button is what "large-app-edit" and "large-app-rewrite" change.
 */
export function financeDashboard(button: { colour: string; label: string }): string {
  return `import { useMemo, useState, type FormEvent } from "react";
import { ArrowDownRight, ArrowUpRight, PiggyBank, Plus, Search, Trash2, Wallet, X } from "lucide-react";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

type Category = "Salary" | "Rent" | "Groceries" | "Transport" | "Dining" | "Utilities" | "Leisure" | "Savings";

type Transaction = {
  id: number;
  date: string; // yyyy-mm-dd
  description: string;
  category: Category;
  amount: number; // euros: positive for income, negative for spending
};

const CATEGORIES: Category[] = ["Salary", "Rent", "Groceries", "Transport", "Dining", "Utilities", "Leisure", "Savings"];

const CATEGORY_STYLES: Record<Category, string> = {
  Salary: "bg-emerald-100 text-emerald-700",
  Rent: "bg-rose-100 text-rose-700",
  Groceries: "bg-amber-100 text-amber-700",
  Transport: "bg-sky-100 text-sky-700",
  Dining: "bg-orange-100 text-orange-700",
  Utilities: "bg-violet-100 text-violet-700",
  Leisure: "bg-pink-100 text-pink-700",
  Savings: "bg-teal-100 text-teal-700",
};

const INITIAL_TRANSACTIONS: Transaction[] = [
  { id: 1, date: "2026-07-01", description: "Salary — Atelier Nord", category: "Salary", amount: 3450 },
  { id: 2, date: "2026-07-02", description: "Rent, July", category: "Rent", amount: -1180 },
  { id: 3, date: "2026-07-05", description: "Marché Saint-Martin", category: "Groceries", amount: -86.4 },
  { id: 4, date: "2026-07-14", description: "Café Lumière", category: "Dining", amount: -23.5 },
  { id: 5, date: "2026-07-28", description: "Transfer to savings", category: "Savings", amount: -400 },
  { id: 6, date: "2026-08-01", description: "Salary — Atelier Nord", category: "Salary", amount: 3450 },
  { id: 7, date: "2026-08-02", description: "Rent, August", category: "Rent", amount: -1180 },
  { id: 8, date: "2026-08-06", description: "Bio Markt", category: "Groceries", amount: -132.8 },
  { id: 9, date: "2026-08-19", description: "Ramen Ichiban 一番", category: "Dining", amount: -41.2 },
  { id: 10, date: "2026-08-30", description: "Transfer to savings", category: "Savings", amount: -400 },
  { id: 11, date: "2026-09-01", description: "Salary — Atelier Nord", category: "Salary", amount: 3450 },
  { id: 12, date: "2026-09-02", description: "Rent, September", category: "Rent", amount: -1180 },
  { id: 13, date: "2026-09-04", description: "Freelance logo design", category: "Salary", amount: 650 },
  { id: 14, date: "2026-09-08", description: "Marché Saint-Martin", category: "Groceries", amount: -94.15 },
  { id: 15, date: "2026-09-22", description: "Cinéma du Parc", category: "Leisure", amount: -24 },
];

const MONTHLY_BUDGETS: { category: Category; limit: number }[] = [
  { category: "Groceries", limit: 400 },
  { category: "Transport", limit: 120 },
  { category: "Dining", limit: 150 },
  { category: "Utilities", limit: 200 },
  { category: "Leisure", limit: 100 },
];

const euro = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
const shortDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
const monthName = new Intl.DateTimeFormat("en-GB", { month: "short" });

function formatDate(iso: string): string {
  return shortDate.format(new Date(iso + "T00:00:00"));
}

function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

function StatCard(props: { label: string; value: string; hint: string; tone: "up" | "down" | "neutral"; icon: JSX.Element }) {
  const toneClass =
    props.tone === "up" ? "text-emerald-600" : props.tone === "down" ? "text-rose-600" : "text-slate-500";
  return (
    <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex items-center justify-between text-sm text-slate-500">
        <span>{props.label}</span>
        <span className="rounded-full bg-slate-100 p-2 text-slate-600">{props.icon}</span>
      </div>
      <p className="mt-3 text-2xl font-semibold tabular-nums text-slate-900">{props.value}</p>
      <p className={"mt-1 text-xs " + toneClass}>{props.hint}</p>
    </div>
  );
}

function BudgetBar(props: { category: Category; spent: number; limit: number }) {
  const ratio = Math.min(1, props.spent / props.limit);
  const over = props.spent > props.limit;
  return (
    <li>
      <div className="flex items-center justify-between text-sm">
        <span className="font-medium text-slate-700">{props.category}</span>
        <span className={over ? "font-medium text-rose-600" : "text-slate-500"}>
          {euro.format(props.spent)} / {euro.format(props.limit)}
        </span>
      </div>
      <div className="mt-1 h-2 overflow-hidden rounded-full bg-slate-100">
        <div
          className={"h-full rounded-full " + (over ? "bg-rose-500" : ratio > 0.8 ? "bg-amber-400" : "bg-emerald-500")}
          style={{ width: Math.round(ratio * 100) + "%" }}
        />
      </div>
    </li>
  );
}

function TransactionForm(props: { onSave: (t: Omit<Transaction, "id">) => void; onClose: () => void }) {
  const [description, setDescription] = useState("");
  const [amount, setAmount] = useState("");
  const [category, setCategory] = useState<Category>("Groceries");
  const [date, setDate] = useState("2026-09-30");
  const value = Number(amount.replace(",", "."));
  const valid = description.trim().length > 0 && Number.isFinite(value) && value !== 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid) return;
    const signed = category === "Salary" ? Math.abs(value) : -Math.abs(value);
    props.onSave({ date, description: description.trim(), category, amount: signed });
    props.onClose();
  }

  return (
    <form onSubmit={submit} className="grid gap-3 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:grid-cols-5">
      <input
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        placeholder="Description"
        className="rounded-lg border border-slate-300 px-3 py-2 text-sm sm:col-span-2"
      />
      <input
        value={amount}
        onChange={(e) => setAmount(e.target.value)}
        placeholder="Amount (€)"
        inputMode="decimal"
        className="rounded-lg border border-slate-300 px-3 py-2 text-sm"
      />
      <select
        value={category}
        onChange={(e) => setCategory(e.target.value as Category)}
        className="rounded-lg border border-slate-300 px-3 py-2 text-sm"
      >
        {CATEGORIES.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
      <input
        type="date"
        value={date}
        onChange={(e) => setDate(e.target.value)}
        className="rounded-lg border border-slate-300 px-3 py-2 text-sm"
      />
      <div className="flex justify-end gap-2 sm:col-span-5">
        <button type="button" onClick={props.onClose} className="rounded-lg px-4 py-2 text-sm text-slate-600 hover:bg-slate-100">
          Cancel
        </button>
        <button
          type="submit"
          disabled={!valid}
          className="rounded-lg bg-emerald-600 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-500 disabled:opacity-40"
        >
          Save transaction
        </button>
      </div>
    </form>
  );
}

export default function App() {
  const [transactions, setTransactions] = useState<Transaction[]>(INITIAL_TRANSACTIONS);
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<Category | "All">("All");
  const [showForm, setShowForm] = useState(false);

  const income = transactions.filter((t) => t.amount > 0).reduce((sum, t) => sum + t.amount, 0);
  const spending = transactions.filter((t) => t.amount < 0).reduce((sum, t) => sum - t.amount, 0);
  const saved = transactions.filter((t) => t.category === "Savings").reduce((sum, t) => sum - t.amount, 0);
  const balance = income - spending;

  const months = useMemo(() => {
    const byMonth = new Map<string, { income: number; spending: number }>();
    for (const t of transactions) {
      const entry = byMonth.get(monthOf(t.date)) ?? { income: 0, spending: 0 };
      if (t.amount > 0) entry.income += t.amount;
      else entry.spending -= t.amount;
      byMonth.set(monthOf(t.date), entry);
    }
    return [...byMonth.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, totals]) => ({ month: monthName.format(new Date(month + "-01T00:00:00")), ...totals }));
  }, [transactions]);

  const latestMonth = transactions.reduce((latest, t) => (monthOf(t.date) > latest ? monthOf(t.date) : latest), "");
  const spentThisMonth = (category: Category) =>
    transactions
      .filter((t) => t.category === category && monthOf(t.date) === latestMonth)
      .reduce((sum, t) => sum - t.amount, 0);

  const visible = transactions
    .filter((t) => filter === "All" || t.category === filter)
    .filter((t) => t.description.toLowerCase().includes(query.trim().toLowerCase()))
    .sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id);

  const addTransaction = (t: Omit<Transaction, "id">) =>
    setTransactions((all) => [...all, { ...t, id: Math.max(0, ...all.map((x) => x.id)) + 1 }]);
  const removeTransaction = (id: number) => setTransactions((all) => all.filter((t) => t.id !== id));

  return (
    <div className="min-h-screen bg-slate-50 text-slate-900">
      <div className="mx-auto max-w-6xl space-y-6 px-4 py-8 sm:px-6">
        <header className="flex flex-wrap items-center justify-between gap-4">
          <div>
            <h1 className="text-2xl font-bold tracking-tight">Household finances</h1>
            <p className="text-sm text-slate-500">July – September 2026 · all amounts in euros</p>
          </div>
          <button
            type="button"
            onClick={() => setShowForm(true)}
            className="inline-flex items-center gap-2 rounded-lg bg-${button.colour}-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-${button.colour}-500 focus:outline-none focus:ring-2 focus:ring-${button.colour}-400"
          >
            <Plus size={16} />
            ${button.label}
          </button>
        </header>

        {showForm && <TransactionForm onSave={addTransaction} onClose={() => setShowForm(false)} />}

        <section className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <StatCard label="Balance" value={euro.format(balance)} hint="income minus spending" tone="neutral" icon={<Wallet size={16} />} />
          <StatCard label="Income" value={euro.format(income)} hint="salary and freelance" tone="up" icon={<ArrowUpRight size={16} />} />
          <StatCard label="Spending" value={euro.format(spending)} hint="everything that left" tone="down" icon={<ArrowDownRight size={16} />} />
          <StatCard label="Saved" value={euro.format(saved)} hint="moved to savings" tone="up" icon={<PiggyBank size={16} />} />
        </section>

        <section className="grid gap-6 lg:grid-cols-3">
          <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm lg:col-span-2">
            <h2 className="mb-4 text-sm font-semibold text-slate-700">Cash flow by month</h2>
            <div className="h-64">
              <ResponsiveContainer width="100%" height="100%">
                <AreaChart data={months} margin={{ top: 5, right: 10, left: 0, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="month" tick={{ fontSize: 12 }} />
                  <YAxis tick={{ fontSize: 12 }} width={60} />
                  <Tooltip formatter={(value: number) => euro.format(value)} />
                  <Area type="monotone" dataKey="income" stroke="#059669" fill="#d1fae5" isAnimationActive={false} />
                  <Area type="monotone" dataKey="spending" stroke="#e11d48" fill="#ffe4e6" isAnimationActive={false} />
                </AreaChart>
              </ResponsiveContainer>
            </div>
          </div>
          <div className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 className="mb-4 text-sm font-semibold text-slate-700">Budgets this month</h2>
            <ul className="space-y-4">
              {MONTHLY_BUDGETS.map((b) => (
                <BudgetBar key={b.category} category={b.category} spent={spentThisMonth(b.category)} limit={b.limit} />
              ))}
            </ul>
          </div>
        </section>

        <section className="rounded-2xl border border-slate-200 bg-white shadow-sm">
          <div className="flex flex-wrap items-center gap-3 border-b border-slate-200 p-4">
            <label className="flex flex-1 items-center gap-2 rounded-lg border border-slate-300 px-3 py-2">
              <Search size={16} className="text-slate-400" />
              <input
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                placeholder="Search transactions…"
                className="flex-1 text-sm outline-none"
              />
              {query && (
                <button type="button" onClick={() => setQuery("")} aria-label="Clear search" className="text-slate-400 hover:text-slate-600">
                  <X size={14} />
                </button>
              )}
            </label>
            <select
              value={filter}
              onChange={(e) => setFilter(e.target.value as Category | "All")}
              className="rounded-lg border border-slate-300 px-3 py-2 text-sm"
            >
              <option value="All">All categories</option>
              {CATEGORIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </div>
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-3 font-medium">Date</th>
                <th className="px-4 py-3 font-medium">Description</th>
                <th className="px-4 py-3 font-medium">Category</th>
                <th className="px-4 py-3 text-right font-medium">Amount</th>
                <th className="px-4 py-3" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {visible.length === 0 ? (
                <tr>
                  <td colSpan={5} className="px-4 py-10 text-center text-slate-500">
                    No transactions match — try another filter, or click “${button.label}”.
                  </td>
                </tr>
              ) : (
                visible.map((t) => (
                  <tr key={t.id} className="hover:bg-slate-50">
                    <td className="whitespace-nowrap px-4 py-3 text-slate-500">{formatDate(t.date)}</td>
                    <td className="px-4 py-3 font-medium text-slate-800">{t.description}</td>
                    <td className="px-4 py-3">
                      <span className={"rounded-full px-2 py-0.5 text-xs font-medium " + CATEGORY_STYLES[t.category]}>{t.category}</span>
                    </td>
                    <td className={"px-4 py-3 text-right tabular-nums " + (t.amount > 0 ? "text-emerald-600" : "text-slate-800")}>
                      {euro.format(t.amount)}
                    </td>
                    <td className="px-4 py-3 text-right">
                      <button
                        type="button"
                        onClick={() => removeTransaction(t.id)}
                        aria-label={"Delete " + t.description}
                        className="rounded p-1 text-slate-400 hover:bg-rose-50 hover:text-rose-600"
                      >
                        <Trash2 size={14} />
                      </button>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}`;
}

/** The header button of `financeDashboard`, as a model would copy it into a SEARCH. */
function addButton(button: { colour: string; label: string }): string {
  return `            onClick={() => setShowForm(true)}
            className="inline-flex items-center gap-2 rounded-lg bg-${button.colour}-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-${button.colour}-500 focus:outline-none focus:ring-2 focus:ring-${button.colour}-400"
          >
            <Plus size={16} />
            ${button.label}`;
}

/** The empty table's hint of `financeDashboard`, which names the button. */
function emptyHint(button: { colour: string; label: string }): string {
  return `                  <td colSpan={5} className="px-4 py-10 text-center text-slate-500">
                    No transactions match — try another filter, or click “${button.label}”.`;
}

const ADD_BUTTON = { colour: "emerald", label: "Add transaction" };
const NEW_BUTTON = { colour: "indigo", label: "New transaction" };

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

  "large-app": `Here's a household finance dashboard — balance, income, spending and savings at a glance, a monthly cash-flow chart, budgets per category and a searchable list of transactions, in euros 💶:

\`\`\`tsx
${financeDashboard(ADD_BUTTON)}
\`\`\`

Click **Add transaction** to record one; the cards, the chart and the budgets update as you go.`,

  // A small change to "large-app" as two edit blocks: applied to its code, they make "large-app-rewrite"'s file exactly.
  "large-app-edit": `Done — the button is now indigo and reads “New transaction” 💜:

\`\`\`tsx
${editBlock(addButton(ADD_BUTTON), addButton(NEW_BUTTON))}

${editBlock(emptyHint(ADD_BUTTON), emptyHint(NEW_BUTTON))}
\`\`\`

The empty table's hint names the new label too; nothing else changed.`,

  // The same change as "large-app-edit", answered with the whole file.
  "large-app-rewrite": `Done — the button is now indigo and reads “New transaction” 💜:

\`\`\`tsx
${financeDashboard(NEW_BUTTON)}
\`\`\`

The empty table's hint names the new label too; nothing else changed.`,

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
