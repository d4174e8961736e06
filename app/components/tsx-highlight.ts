/**
 * Syntax colours for the code view (app/components/code-view.tsx), which imports this module lazily
 * once it has code to show: Lezer's TypeScript + JSX parser and highlighter (the ones CodeMirror 6
 * runs on), never part of the home page.
 *
 * The file is parsed as one tree, and each 40-line block takes the tree's styles for its own range,
 * so a token that crosses a block boundary (a comment, a template literal, JSX text) is coloured right
 * on both sides: no block is tokenized on its own. Parsing is incremental: each new text reuses the
 * previous tree's nodes up to the first changed character (`TreeFragment`), so an update costs about
 * as much as the text it adds, however long the file is. A parse that does not finish within a slice
 * (a whole version shown at once) goes on in later tasks, keeping what it had done if the text changes
 * meanwhile; until it finishes, what it has not covered stays plain text.
 *
 * While the text keeps changing (a stream), a parse starts at most every `intervalMs` (100 ms): the
 * text that arrives in between shows at once, plain, after the coloured part, and the next parse colours
 * it. A block's colours are kept while its text and everything before it are unchanged, so complete
 * blocks are highlighted once, and only the block being written is highlighted again, once per parse.
 */
import { TreeFragment, type PartialParse, type Tree } from "@lezer/common";
import { highlightTree, tagHighlighter, tags as t } from "@lezer/highlight";
import { parser as javascript } from "@lezer/javascript";

const parser = javascript.configure({ dialect: "jsx ts" });

/** Token kinds to CSS classes (colours in app/styles.css, "Code view: syntax colours"). */
const highlighter = tagHighlighter([
  { tag: t.comment, class: "hl-comment" },
  {
    tag: [
      t.keyword,
      t.arithmeticOperator,
      t.logicOperator,
      t.bitwiseOperator,
      t.compareOperator,
      t.updateOperator,
      t.definitionOperator,
      t.typeOperator,
      t.controlOperator,
      t.function(t.punctuation),
    ],
    class: "hl-keyword",
  },
  { tag: [t.string, t.attributeValue, t.regexp], class: "hl-string" },
  { tag: t.escape, class: "hl-escape" },
  { tag: [t.number, t.bool, t.null, t.atom, t.self], class: "hl-constant" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], class: "hl-function" },
  { tag: [t.typeName, t.className, t.namespace], class: "hl-type" },
  { tag: t.tagName, class: "hl-tag" },
  { tag: t.attributeName, class: "hl-attribute" },
]);

/** A coloured range of a block's text: offsets into the block, and the CSS class. */
export type Span = readonly [from: number, to: number, className: string];

/** One block of the code view: its text and the ranges to colour (in order; the rest is plain). */
export interface HighlightedBlock {
  readonly text: string;
  /** `null` while no parse has reached the block. */
  readonly spans: readonly Span[] | null;
  /** How much of `text` (from its start) the spans describe; the rest is plain until the next parse. */
  readonly coloured: number;
}

export interface HighlighterOptions {
  /** Called, in a later task, when there is more to show: a background parse finished, or blocks left for later. */
  onProgress?: () => void;
  /** The longest a slice of parsing may take, ms. */
  sliceMs?: number;
  /** The least time between the starts of two parses while text streams in, ms (0: parse every change at once). */
  intervalMs?: number;
  /** How many blocks one `blocks` call highlights afresh at most; the rest come after `onProgress`. */
  blocksPerCall?: number;
  /** The clock slices are measured by, ms (tests pass their own). */
  now?: () => number;
}

interface Entry {
  from: number;
  block: HighlightedBlock;
  /** Highlighted with the tree covering all of it and the text going on after it: kept while unchanged. */
  final: boolean;
  tree: Tree | null;
  covered: number;
}

/** Highlights one growing or changing file, block by block. One per code view. */
export class TsxHighlighter {
  private doc = "";
  /** Counts the changes of `doc`, so that "is this parse of the current text" costs no string compare. */
  private version = 0;
  /** The latest complete parse, of text `version` `treeVersion`; `covered` is how much of `doc` it describes. */
  private tree: Tree | null = null;
  private treeVersion = 0;
  private covered = 0;
  /** Nodes the next parse may reuse: for a text `fragmentsLength` long whose first `fragmentsShared` are `doc`'s. */
  private fragments: readonly TreeFragment[] = [];
  private fragmentsLength = 0;
  private fragmentsShared = 0;
  /** The parse under way, of text `parseVersion` (`parseLength` long, its first `parseShared` are `doc`'s). */
  private parse: PartialParse | null = null;
  private parseVersion = 0;
  private parseLength = 0;
  private parseShared = 0;
  private parseFragments: readonly TreeFragment[] = [];
  /** When the latest parse started, and how long the one before it took, for the interval. */
  private parsedAt = -Infinity;
  private parseMs = 0;
  private lastParseMs = 0;
  private entries: (Entry | undefined)[] = [];
  private parseTimer: ReturnType<typeof setTimeout> | undefined;
  private progressTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onProgress: () => void;
  private readonly sliceMs: number;
  private readonly intervalMs: number;
  private readonly blocksPerCall: number;
  private readonly now: () => number;

  constructor(options: HighlighterOptions = {}) {
    this.onProgress = options.onProgress ?? (() => {});
    this.sliceMs = options.sliceMs ?? 8;
    this.intervalMs = options.intervalMs ?? 100;
    this.blocksPerCall = options.blocksPerCall ?? 4;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The text to highlight. New text (a change, or the first) is parsed at once if the parse fits into
   * a slice; text that only grew (a stream) is parsed in a later task, at most once per interval (100
   * ms, or 20 times the last parse if that is longer: parsing stays within 5 % of the time while code
   * streams), and `onProgress` says when it is done.
   */
  setCode(code: string): void {
    if (code === this.doc) return;
    const kept = commonPrefixLength(this.doc, code);
    const grew = kept === this.doc.length && kept > 0;
    this.doc = code;
    this.version++;
    this.covered = Math.min(this.covered, kept);
    this.fragmentsShared = Math.min(this.fragmentsShared, kept);
    this.parseShared = Math.min(this.parseShared, kept);
    // Blocks that end inside the unchanged start keep their colours; the rest are done again.
    const stale = this.entries.findIndex((entry) => entry !== undefined && entry.from + entry.block.text.length > kept);
    if (stale !== -1) this.entries.length = stale;
    if (this.intervalMs === 0 && !this.parse) {
      if (!this.parseNow()) this.scheduleParse(0);
      return;
    }
    const interval = Math.max(this.intervalMs, Math.min(1000, 20 * this.lastParseMs));
    const wait = this.parsedAt + interval - this.now();
    if (this.parse || grew) this.scheduleParse(Math.max(0, wait));
    else if (!this.parseNow()) this.scheduleParse(0);
  }

  /**
   * The blocks of the text last given to `setCode` (`texts` joined must be that text), each with the
   * spans to colour. A block that is unchanged since the last call comes back as the same object.
   */
  blocks(texts: readonly string[]): HighlightedBlock[] {
    const result: HighlightedBlock[] = [];
    let from = 0;
    let fresh = 0;
    let deferred = false;
    for (let index = 0; index < texts.length; index++) {
      const text = texts[index];
      const to = from + text.length;
      const last = index === texts.length - 1;
      const covered = Math.min(to, this.covered);
      const entry = this.entries[index];
      const same = entry !== undefined && entry.from === from;
      if (same && entry.block.text === text && (entry.final || (entry.tree === this.tree && entry.covered === covered))) {
        result.push(entry.block);
      } else if (same && entry.tree === this.tree && entry.covered === covered) {
        // The block grew past what the tree covers: the same colours, the new text plain for now.
        const block: HighlightedBlock = { text, spans: entry.block.spans, coloured: entry.block.coloured };
        this.entries[index] = { ...entry, block };
        result.push(block);
      } else if (fresh >= this.blocksPerCall && !last) {
        // Enough for one render: plain for now, coloured after onProgress.
        deferred = true;
        this.entries[index] = undefined;
        result.push({ text, spans: null, coloured: 0 });
      } else {
        fresh++;
        const coloured = this.tree ? Math.max(0, covered - from) : 0;
        const block: HighlightedBlock = { text, spans: coloured > 0 ? this.spans(from, covered) : null, coloured };
        this.entries[index] = { from, block, final: !last && covered === to, tree: this.tree, covered };
        result.push(block);
      }
      from = to;
    }
    this.entries.length = texts.length;
    if (deferred) this.scheduleProgress();
    return result;
  }

  /** Stops any work left for later. */
  dispose(): void {
    clearTimeout(this.parseTimer);
    clearTimeout(this.progressTimer);
    this.parse = null;
  }

  private spans(from: number, to: number): Span[] {
    const spans: Span[] = [];
    highlightTree(
      this.tree!,
      highlighter,
      (start, end, className) => spans.push([start - from, end - from, className]),
      from,
      to,
    );
    return spans;
  }

  /** Parses `doc` (going on with the parse under way, if any) for one slice; true when up to date. */
  private parseNow(): boolean {
    if (!this.parse && this.treeVersion === this.version) return true;
    if (!this.parse || this.parseVersion !== this.version) {
      this.startParse();
      this.parsedAt = this.now();
    }
    return this.work(this.sliceMs);
  }

  private startParse(): void {
    if (this.parse) {
      // The text changed before the parse finished: keep the nodes it has built (CodeMirror does the same).
      const partial = finishEarly(this.parse);
      if (partial) {
        this.fragments = TreeFragment.addTree(partial, this.parseFragments, true);
        this.fragmentsLength = this.parseLength;
        this.fragmentsShared = this.parseShared;
      }
    } else {
      this.parseMs = 0;
    }
    const same = this.fragmentsShared;
    this.parseFragments = TreeFragment.applyChanges(this.fragments, [
      { fromA: same, toA: this.fragmentsLength, fromB: same, toB: this.doc.length },
    ]);
    this.parse = parser.startParse(this.doc, this.parseFragments);
    this.parseVersion = this.version;
    this.parseLength = this.parseShared = this.doc.length;
  }

  /** Advances the parse for at most `budgetMs`; true when it has finished. */
  private work(budgetMs: number): boolean {
    const parse = this.parse;
    if (!parse) return true;
    const start = this.now();
    const deadline = start + budgetMs;
    for (let step = 1; ; step++) {
      const tree = parse.advance();
      // Steps take microseconds: look at the clock every 32 of them.
      if (!tree && step % 32 !== 0) continue;
      const time = this.now();
      if (tree) {
        this.parse = null;
        this.tree = tree;
        this.treeVersion = this.parseVersion;
        this.covered = this.parseShared;
        this.fragments = TreeFragment.addTree(tree);
        this.fragmentsLength = this.parseLength;
        this.fragmentsShared = this.parseShared;
        this.lastParseMs = this.parseMs + (time - start);
        return true;
      }
      if (time >= deadline) {
        this.parseMs += time - start;
        return false;
      }
    }
  }

  private scheduleParse(delayMs: number): void {
    if (this.parseTimer !== undefined) return;
    this.parseTimer = setTimeout(() => {
      this.parseTimer = undefined;
      const before = this.tree;
      if (!this.parseNow()) this.scheduleParse(0);
      else if (this.tree !== before) this.onProgress();
    }, delayMs);
  }

  private scheduleProgress(): void {
    if (this.progressTimer !== undefined) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.onProgress();
    }, 0);
  }
}

/** Ends a parse where it has got to, returning what it built (or null if it would not stop soon). */
function finishEarly(parse: PartialParse): Tree | null {
  parse.stopAt(parse.parsedPos);
  for (let step = 0; step < 10_000; step++) {
    const tree = parse.advance();
    if (tree) return tree;
  }
  return null;
}

/** How many leading UTF-16 code units `a` and `b` share. */
export function commonPrefixLength(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  // A slice and === compare as memory, far faster than startsWith on a long two-byte string (the common case: b grew).
  if (a.slice(0, length) === b.slice(0, length)) return length;
  let index = 0;
  while (index < length && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  return index;
}
