/**
 * Summarizes a .cpuprofile written by `npm run bench -- --profile` (or Chrome DevTools): busy time by
 * library or subsystem, then the functions with the most inclusive time (self + callees), idle left
 * out of the shares.
 *   npx tsx bench/profile-summary.ts bench-results/kiln-relay.cpuprofile [count]
 */
import { readFileSync } from "node:fs";
import { timeByArea, type CpuProfile } from "./inspector";

export function inclusiveTop(profile: CpuProfile, count = 40): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes as Array<CpuProfile["nodes"][number] & { children?: number[] }>) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inclusive = new Map<string, number>();
  let busy = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    if (byId.get(samples[i])?.callFrame.functionName === "(idle)") continue;
    busy += ms;
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === "(root)") continue;
      const file = frame.url.replace(/^.*\/node_modules\//, "").replace(/^.*\/main\//, "");
      const key = `${frame.functionName || "(anonymous)"}${file ? ` (${file}:${frame.lineNumber + 1})` : ""}`;
      if (seen.has(key)) continue; // recursion counts once
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  return [...inclusive.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

const [file, count] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [count]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
console.log("Busy time by area:");
for (const line of timeByArea(profile)) console.log(line);
console.log("\nInclusive time (self + callees), share of busy time:");
for (const line of inclusiveTop(profile, Number(count ?? 40))) console.log(line);
