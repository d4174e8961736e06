/**
 * Other prompt-to-app projects' own tests for finding the app's code in a model reply (LlamaCoder,
 * bolt.diy, vibes.diy: model quirks seen in the wild), transcribed as data in the shared folder
 * beside the clone (peer-fences/cases.json) and read at run time. Kiln gives the code each peer
 * expects (null: no app block), but for the few cases in `kilnDiffers`, where the peer's rule only
 * fits its own layout; the test holds Kiln to its documented answer there, so the table cannot rot.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { extractReply } from "./code-fence";

// CI runs in a fresh clone with shared/ beside the repository; machines/ is one level below its root.
const CASES_FILE = path.resolve(import.meta.dirname, "../../shared/peer-fences/cases.json");
if (!existsSync(CASES_FILE)) {
  throw new Error(`The peer cases are missing: expected ${CASES_FILE} (the shared folder beside the repository).`);
}

const PeerCase = z.object({
  /** "owner/repo:path@commit" of the peer test the case comes from */
  source: z.string().regex(/^[\w.-]+\/[\w.-]+:/),
  name: z.string(),
  /** the model reply */
  input: z.string(),
  /** the code of the one app block the peer expects, or null for none */
  expectedCode: z.string().nullable(),
  notes: z.string(),
});
const cases = z
  .array(PeerCase)
  .min(1)
  .parse(JSON.parse(readFileSync(CASES_FILE, "utf8")));

/** The source project and the case's own name, e.g. "Nutlope/llamacoder: unterminated <thinking> yields no files". */
const titleOf = (peerCase: z.infer<typeof PeerCase>) => `${peerCase.source.split(":")[0]}: ${peerCase.name}`;

/** The app code Kiln finds, or null when it finds no code block; a trailing newline is not a difference. */
function kilnCode(reply: string): string | null {
  const { fence, code } = extractReply(reply);
  return fence === "none" ? null : withoutTrailingNewline(code);
}

const withoutTrailingNewline = (code: string | null) => code?.replace(/\n+$/, "") ?? null;

/** Cases whose expectation only fits the peer's own layout or parser: what Kiln gives instead, and why. */
const kilnDiffers: Record<string, { kilnCode: string | null; why: string }> = {
  "Nutlope/llamacoder: bare closing fences and inline code are untouched": {
    kilnCode: "plain block",
    why:
      "LlamaCoder's chat view only makes files of fences with a language (its own backend would extract this one, as its " +
      "notes say). Kiln asks for one block and models often leave the tag off, so an untagged block is the app.",
  },
  "stackblitz-labs/bolt.diy: Edge Cases: should not create artifacts for generic code examples": {
    kilnCode: 'function example() {\n  console.log("This is just an example");\n}',
    why:
      "bolt.diy writes only blocks it has a file path for. A single-file reply names no path, so the one script block is " +
      "Kiln's best candidate; the preview then reports that it has no default export.",
  },
  "VibesDIY/vibes.diy: ignores a fenced block with no preceding filename line": {
    kilnCode: "orphan",
    why:
      "An eval-harness rule for multi-file replies: a file needs a filename line above its fence. Kiln's replies are one " +
      "unlabelled block, which is the app (vibes.diy's own stream parser defaults such a block to App.jsx).",
  },
  "VibesDIY/vibes.diy: binds two files independently when each filename is separated from its fence by a blank line": {
    kilnCode: "export default 2;",
    why:
      "Only fits a multi-file layout: App.jsx and a helper module are two files of one app. Kiln runs one file and takes " +
      "the block with export default, which it needs to mount; filename lines above fences are not part of its prompt.",
  },
};

describe("peer projects' extraction cases", () => {
  it.each(
    cases.filter((peerCase) => !(titleOf(peerCase) in kilnDiffers)).map((peerCase) => [titleOf(peerCase), peerCase] as const),
  )("%s", (_, peerCase) => {
    expect(kilnCode(peerCase.input)).toBe(withoutTrailingNewline(peerCase.expectedCode));
  });

  describe("where Kiln keeps its own answer", () => {
    it.each(
      cases.filter((peerCase) => titleOf(peerCase) in kilnDiffers).map((peerCase) => [titleOf(peerCase), peerCase] as const),
    )("%s", (title, peerCase) => {
      const differs = kilnDiffers[title];
      expect(differs.why).not.toBe("");
      expect(kilnCode(peerCase.input)).toBe(differs.kilnCode);
      expect(differs.kilnCode).not.toBe(withoutTrailingNewline(peerCase.expectedCode));
    });

    it("lists only cases the peer file still has", () => {
      const titles = new Set(cases.map(titleOf));
      expect(Object.keys(kilnDiffers).filter((title) => !titles.has(title))).toEqual([]);
    });
  });
});
