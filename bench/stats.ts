/** Small statistics and table helpers for the benchmark; pure, so the smoke test can check them. */

/** The value at percentile `p` (0–100) by the nearest-rank method; NaN for no samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The median (mean of the two middle values for an even count); NaN for no samples. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export type Cell = string | number | undefined;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  notes?: string[];
}

export function formatNumber(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return "–";
  if (digits === undefined && Number.isInteger(value)) return String(value);
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3);
  return value.toFixed(d);
}

/** Renders a table as aligned plain text: the first column left-aligned, the others right-aligned. */
export function renderTable(table: Table): string {
  const cells = [
    table.columns,
    ...table.rows.map((row) => row.map((c) => (typeof c === "number" ? formatNumber(c) : (c ?? "")))),
  ];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => String(row[i] ?? "").length)));
  const line = (row: Cell[]) =>
    row
      .map((c, i) => (i === 0 ? String(c ?? "").padEnd(widths[i]) : String(c ?? "").padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const out = [table.title, line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)];
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join("\n");
}

/** The same table as GitHub markdown, for docs/performance.md. */
export function renderMarkdown(table: Table): string {
  const fmt = (c: Cell) => (typeof c === "number" ? formatNumber(c) : (c ?? ""));
  const out = [
    `| ${table.columns.join(" | ")} |`,
    `|${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...table.rows.map((row) => `| ${row.map(fmt).join(" | ")} |`),
  ];
  return out.join("\n");
}
