import { describe, expect, it } from "vitest";
import { fakeReply } from "../tests/support/fake-reply";
import { extractReply } from "./code-fence";
import {
  answerWithCode,
  applyEditBlocks,
  isEditBlocks,
  locateSearch,
  parseEditBlocks,
  resolveEditAnswer,
  type EditBlock,
} from "./edit-blocks";

/** A todo list as a model writes it: 2-space indentation, several lines that repeat (`</button>`). */
const todoApp = `import { useMemo, useState } from "react";
import { Check, Plus, Trash2 } from "lucide-react";

type Todo = { id: number; title: string; done: boolean };

const START: Todo[] = [
  { id: 1, title: "Buy oat milk", done: false },
  { id: 2, title: "Call the dentist", done: true },
];

export default function App() {
  const [todos, setTodos] = useState<Todo[]>(START);
  const [draft, setDraft] = useState("");
  const left = useMemo(() => todos.filter((todo) => !todo.done).length, [todos]);

  const add = () => {
    const title = draft.trim();
    if (!title) return;
    setTodos((list) => [...list, { id: Date.now(), title, done: false }]);
    setDraft("");
  };

  const toggle = (id: number) => {
    setTodos((list) => list.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)));
  };

  const remove = (id: number) => {
    setTodos((list) => list.filter((todo) => todo.id !== id));
  };

  return (
    <main className="mx-auto max-w-md p-6">
      <h1 className="mb-4 text-2xl font-bold">Todos — {left} left</h1>
      <div className="mb-4 flex gap-2">
        <input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && add()}
          className="flex-1 rounded border px-3 py-2"
          placeholder="What needs doing?"
        />
        <button onClick={add} className="rounded bg-indigo-600 px-3 py-2 text-white">
          <Plus size={18} />
        </button>
      </div>
      <ul className="space-y-2">
        {todos.map((todo) => (
          <li key={todo.id} className="flex items-center gap-2 rounded border p-2">
            <button onClick={() => toggle(todo.id)} className="rounded p-1 hover:bg-slate-100">
              <Check size={16} className={todo.done ? "text-green-600" : "text-slate-300"} />
            </button>
            <span className={todo.done ? "flex-1 line-through text-slate-400" : "flex-1"}>{todo.title}</span>
            <button onClick={() => remove(todo.id)} className="rounded p-1 hover:bg-red-50">
              <Trash2 size={16} />
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}`;

const lineCount = (text: string) => text.split("\n").length;

function block(search: string, replace: string): string {
  return `<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE`;
}

/** An answer as a model sends it: a sentence, the blocks in one tsx fence, a sentence. */
function answer(...blocks: string[]): string {
  return `Sure, here is the change:\n\n\`\`\`tsx\n${blocks.join("\n\n")}\n\`\`\`\n\nNothing else changed.`;
}

/** `base` with one exact, unique piece of text replaced (throws when it is not there once, so the expectation itself is sound). */
function edited(base: string, from: string, to: string): string {
  const at = base.indexOf(from);
  if (at === -1 || base.indexOf(from, at + 1) !== -1) throw new Error(`not exactly once: ${from}`);
  return base.slice(0, at) + to + base.slice(at + from.length);
}

function appliedCode(base: string, code: string): string {
  const result = applyEditBlocks(base, code);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.code;
}

const pomodoro = extractReply(fakeReply("default")).code;
const biggerButtons = extractReply(fakeReply("follow-up")).code;

describe("isEditBlocks (a follow-up's fence holds edits, not a file)", () => {
  it("is true for a fence of SEARCH/REPLACE blocks, with 5 to 9 marker characters and a file name after the word", () => {
    expect(isEditBlocks(extractReply(fakeReply("edit")).code)).toBe(true);
    expect(isEditBlocks("<<<<< SEARCH\na\n=====\nb\n>>>>> REPLACE")).toBe(true);
    expect(isEditBlocks("<<<<<<<<< SEARCH\na\n=========\nb\n>>>>>>>>> REPLACE")).toBe(true);
    expect(isEditBlocks("src/App.tsx\n<<<<<<< SEARCH App.tsx  \na\n=======\nb\n>>>>>>> REPLACE")).toBe(true);
    expect(isEditBlocks("<<<<<<< SEARCH\r\na\r\n=======\r\nb\r\n>>>>>>> REPLACE\r\n")).toBe(true);
  });

  it("is false for a whole file, even one that quotes a marker inside a string or writes a git-style 4-character one", () => {
    expect(isEditBlocks(pomodoro)).toBe(false);
    expect(isEditBlocks(todoApp)).toBe(false);
    expect(isEditBlocks(`const MARKER = "<<<<<<< SEARCH";\nexport default function App() {\n  return <p>{MARKER}</p>;\n}`)).toBe(
      false,
    );
    expect(isEditBlocks("<<<< SEARCH\na\n====\nb\n>>>> REPLACE")).toBe(false);
    expect(isEditBlocks("<<<<<<< SEARCHING\n")).toBe(false);
    expect(isEditBlocks("")).toBe(false);
  });
});

describe("parseEditBlocks", () => {
  it("reads every block in order, ignoring a file name, blank lines and remarks between them", () => {
    const code = [
      "src/App.tsx",
      block('  const [draft, setDraft] = useState("");', '  const [draft, setDraft] = useState("milk");'),
      "",
      "Then the title:",
      block(
        '      <h1 className="mb-4 text-2xl font-bold">Todos — {left} left</h1>',
        '      <h1 className="mb-4 text-3xl">{left} to do</h1>',
      ),
    ].join("\n");
    expect(parseEditBlocks(code)).toEqual({
      blocks: [
        { search: '  const [draft, setDraft] = useState("");', replace: '  const [draft, setDraft] = useState("milk");' },
        {
          search: '      <h1 className="mb-4 text-2xl font-bold">Todos — {left} left</h1>',
          replace: '      <h1 className="mb-4 text-3xl">{left} to do</h1>',
        },
      ],
    });
  });

  it("keeps the lines of a block exactly, indentation and trailing spaces included, and an empty REPLACE as empty", () => {
    const code = "<<<<<<< SEARCH\n  const x = 1;  \n\n\tconst y = 2;\n=======\n>>>>>>> REPLACE";
    expect(parseEditBlocks(code)).toEqual({ blocks: [{ search: "  const x = 1;  \n\n\tconst y = 2;", replace: "" }] });
  });

  it("reads CRLF blocks as the same blocks as LF ones", () => {
    const lf = block("  const remove = (id: number) => {", "  const discard = (id: number) => {");
    expect(parseEditBlocks(lf.replace(/\n/g, "\r\n") + "\r\n")).toEqual(parseEditBlocks(lf));
    expect(parseEditBlocks(lf).blocks).toHaveLength(1);
  });

  it("reports markers out of order as malformed: a second SEARCH inside a block, a divider or a REPLACE without a SEARCH, a REPLACE before its divider", () => {
    expect(parseEditBlocks("<<<<<<< SEARCH\na\n<<<<<<< SEARCH\nb\n=======\nc\n>>>>>>> REPLACE").malformed).toMatch(
      /SEARCH marker inside another/,
    );
    expect(parseEditBlocks(`${block("a", "b")}\n=======\nc\n>>>>>>> REPLACE`).malformed).toMatch(/divider without its SEARCH/);
    // A stray divider after a good block is not ignored: what the model meant there is unknown.
    expect(parseEditBlocks(`${block("a", "b")}\n=======\nc`).malformed).toMatch(/divider without its SEARCH/);
    expect(parseEditBlocks(`${block("a", "b")}\n>>>>>>> REPLACE`).malformed).toMatch(/REPLACE marker without its SEARCH/);
    expect(parseEditBlocks("<<<<<<< SEARCH\na\n>>>>>>> REPLACE").malformed).toMatch(/without the ======= divider/);
    expect(parseEditBlocks(block("a", "b")).malformed).toBeUndefined();
  });

  it("takes a second divider inside the REPLACE part as a line of the replacement", () => {
    expect(parseEditBlocks("<<<<<<< SEARCH\na\n=======\nb\n=======\nc\n>>>>>>> REPLACE")).toEqual({
      blocks: [{ search: "a", replace: "b\n=======\nc" }],
    });
  });

  it("gives the unclosed block as partial: SEARCH only before the divider, then SEARCH and REPLACE so far", () => {
    const done = block("  const add = () => {", "  const add = (): void => {");
    expect(parseEditBlocks(`${done}\n<<<<<<< SEARCH\n  const toggle = (id: number) => {\n`)).toEqual({
      blocks: [{ search: "  const add = () => {", replace: "  const add = (): void => {" }],
      partial: { search: "  const toggle = (id: number) => {", replace: undefined },
    });
    expect(parseEditBlocks(`${done}\n<<<<<<< SEARCH\n  const toggle = (id: number) => {\n=======\n  const toggle = (id`)).toEqual(
      {
        blocks: [{ search: "  const add = () => {", replace: "  const add = (): void => {" }],
        partial: { search: "  const toggle = (id: number) => {", replace: "  const toggle = (id" },
      },
    );
  });

  it("never shows half a marker in the block being written (the diff would flash a '====' or '>>>>>>> REPL' line)", () => {
    const writing = "<<<<<<< SEARCH\n  const add = () => {\n";
    expect(parseEditBlocks(writing + "====").partial).toEqual({ search: "  const add = () => {", replace: undefined });
    expect(parseEditBlocks(writing + "=======\n  const add = (): void => {\n>>>>>>> REPL").partial).toEqual({
      search: "  const add = () => {",
      replace: "  const add = (): void => {",
    });
    // A line that cannot become a marker is shown as it is written.
    expect(parseEditBlocks(writing + "  const ti").partial).toEqual({
      search: "  const add = () => {\n  const ti",
      replace: undefined,
    });
  });
});

/** Every prefix of `code` parsed as if it were streaming: never throws, and only ever moves forward. */
function expectStreamsForward(code: string): void {
  const final = parseEditBlocks(code);
  expect(final.malformed).toBeUndefined();
  expect(final.partial).toBeUndefined();
  let previous: EditBlock[] = [];
  let sawPartial = 0;
  let sawReplacePartial = 0;
  for (let end = 0; end <= code.length; end++) {
    const prefix = code.slice(0, end);
    const parsed = parseEditBlocks(prefix);
    expect(parsed.malformed, `prefix of ${end}`).toBeUndefined();
    expect(parsed.blocks.length, `prefix of ${end}`).toBeGreaterThanOrEqual(previous.length);
    // Finished blocks are final: the same as in the whole answer.
    expect(parsed.blocks, `prefix of ${end}`).toEqual(final.blocks.slice(0, parsed.blocks.length));
    if (parsed.partial) {
      sawPartial++;
      const writing = final.blocks[parsed.blocks.length];
      expect(writing, `prefix of ${end}`).toBeDefined();
      expect(writing.search.startsWith(parsed.partial.search), `search at ${end}: ${JSON.stringify(parsed.partial)}`).toBe(true);
      if (parsed.partial.replace !== undefined) {
        sawReplacePartial++;
        expect(parsed.partial.search, `prefix of ${end}`).toBe(writing.search);
        expect(writing.replace.startsWith(parsed.partial.replace), `replace at ${end}: ${JSON.stringify(parsed.partial)}`).toBe(
          true,
        );
      }
    }
    previous = parsed.blocks;
  }
  expect(previous).toEqual(final.blocks);
  expect(sawPartial).toBeGreaterThan(0);
  expect(sawReplacePartial).toBeGreaterThan(0);
}

describe("parseEditBlocks while the answer streams", () => {
  it("on every prefix of the fake edit answer: never throws, blocks only grow, partial is the block being written", () => {
    const code = extractReply(fakeReply("edit")).code;
    expect(parseEditBlocks(code).blocks).toHaveLength(2);
    expectStreamsForward(code);
  });

  it("does the same for three blocks, one of them deleting lines, sent with CRLF line ends", () => {
    const code = [
      block('import { Check, Plus, Trash2 } from "lucide-react";', 'import { Check, Plus } from "lucide-react";'),
      block("  const remove = (id: number) => {\n    setTodos((list) => list.filter((todo) => todo.id !== id));\n  };\n", ""),
      block('      <ul className="space-y-2">', '      <ul className="space-y-3 divide-y">'),
    ].join("\n\n");
    expect(parseEditBlocks(code).blocks).toHaveLength(3);
    expectStreamsForward(code.replace(/\n/g, "\r\n"));
  });

  it("on every prefix of the whole answer as the chat reads it (extractReply, then the blocks), the parse only moves forward", () => {
    const text = fakeReply("edit");
    let blocks = 0;
    let edits = false;
    for (let end = 0; end <= text.length; end++) {
      const reply = extractReply(text.slice(0, end));
      const parsed = parseEditBlocks(reply.code);
      expect(parsed.malformed).toBeUndefined();
      expect(parsed.blocks.length).toBeGreaterThanOrEqual(blocks);
      blocks = parsed.blocks.length;
      // Once the fence shows edit blocks, it stays edit blocks.
      if (edits) expect(isEditBlocks(reply.code)).toBe(true);
      edits = isEditBlocks(reply.code);
    }
    expect(blocks).toBe(2);
    expect(edits).toBe(true);
  });
});

describe("applyEditBlocks", () => {
  it("turns the fake edit answer's blocks into exactly the fake follow-up's file", () => {
    expect(applyEditBlocks(pomodoro, extractReply(fakeReply("edit")).code)).toEqual({ ok: true, code: biggerButtons });
  });

  it("applies several blocks anywhere in the file, in the order given (the JSX first, the import last)", () => {
    const code = [
      block(
        '        <button onClick={add} className="rounded bg-indigo-600 px-3 py-2 text-white">\n          <Plus size={18} />',
        '        <button onClick={add} className="rounded bg-emerald-600 px-3 py-2 text-white" aria-label="Add">\n          <Plus size={18} />',
      ),
      block(
        '  const [draft, setDraft] = useState("");',
        '  const [draft, setDraft] = useState("");\n  const [filter, setFilter] = useState<"all" | "open">("all");',
      ),
      block('import { useMemo, useState } from "react";', 'import { useEffect, useMemo, useState } from "react";'),
    ].join("\n\n");
    let expected = edited(
      todoApp,
      'className="rounded bg-indigo-600 px-3 py-2 text-white">',
      'className="rounded bg-emerald-600 px-3 py-2 text-white" aria-label="Add">',
    );
    expected = edited(
      expected,
      '  const [draft, setDraft] = useState("");\n',
      '  const [draft, setDraft] = useState("");\n  const [filter, setFilter] = useState<"all" | "open">("all");\n',
    );
    expected = edited(expected, "import { useMemo, useState }", "import { useEffect, useMemo, useState }");
    const result = appliedCode(todoApp, code);
    expect(result).toBe(expected);
    expect(lineCount(result)).toBe(lineCount(todoApp) + 1);
  });

  it("applies a later block to the result of the earlier ones: it may search for lines an earlier block wrote", () => {
    const code = [
      block("  const remove = (id: number) => {", "  const discard = (id: number) => {"),
      block(
        '            <button onClick={() => remove(todo.id)} className="rounded p-1 hover:bg-red-50">',
        '            <button onClick={() => discard(todo.id)} className="rounded p-1 hover:bg-red-50">',
      ),
      // Only there once the first block has run.
      block("  const discard = (id: number) => {", "  const discard = (id: number): void => {"),
    ].join("\n");
    const result = appliedCode(todoApp, code);
    expect(result).toContain(
      "  const discard = (id: number): void => {\n    setTodos((list) => list.filter((todo) => todo.id !== id));",
    );
    expect(result).toContain("onClick={() => discard(todo.id)}");
    expect(result).not.toMatch(/\bremove\b/);
  });

  it("does not find lines an earlier block replaced: the later block searches the code as it now is", () => {
    const code = [
      block("  const remove = (id: number) => {", "  const discard = (id: number) => {"),
      block("  const remove = (id: number) => {\n    setTodos((list) => list.filter((todo) => todo.id !== id));", "  // gone"),
    ].join("\n");
    expect(applyEditBlocks(todoApp, code)).toMatchObject({ ok: false, code: "edit_no_match", blockIndex: 1 });
  });

  it("is all or nothing: a third block that does not apply gives no code at all, not the first two applied", () => {
    const code = [
      block('import { useMemo, useState } from "react";', 'import { useEffect, useMemo, useState } from "react";'),
      block('      <ul className="space-y-2">', '      <ul className="space-y-3">'),
      // The model misremembers the colour of the delete button.
      block(
        '            <button onClick={() => remove(todo.id)} className="rounded p-1 hover:bg-rose-50">',
        "            <button>",
      ),
    ].join("\n\n");
    const result = applyEditBlocks(todoApp, code);
    expect(result).toEqual({
      ok: false,
      code: "edit_no_match",
      blockIndex: 2,
      message: expect.stringContaining("Edit block 3 searches for lines the code does not have"),
    });
    expect(Object.keys(result).sort()).toEqual(["blockIndex", "code", "message", "ok"]);
    const resolved = resolveEditAnswer(answer(code), todoApp);
    expect(resolved).toMatchObject({ kind: "edits", ok: false, failure: { code: "edit_no_match", blockIndex: 2 } });
    expect(resolved).not.toHaveProperty("content");
  });

  it("re-indents the replacement when the model wrote the SEARCH with less indentation than the file", () => {
    // The model copied the <li> and its first button flush left; in the file they sit at 10 and 12 spaces.
    const code = block(
      '<li key={todo.id} className="flex items-center gap-2 rounded border p-2">\n  <button onClick={() => toggle(todo.id)} className="rounded p-1 hover:bg-slate-100">',
      '<li key={todo.id} className="flex items-center gap-3 rounded-lg border p-3 shadow-sm">\n  <button\n    onClick={() => toggle(todo.id)}\n    className="rounded p-1 hover:bg-slate-100"\n    aria-label="Done"\n  >',
    );
    const expected = edited(
      todoApp,
      '          <li key={todo.id} className="flex items-center gap-2 rounded border p-2">\n            <button onClick={() => toggle(todo.id)} className="rounded p-1 hover:bg-slate-100">',
      '          <li key={todo.id} className="flex items-center gap-3 rounded-lg border p-3 shadow-sm">\n            <button\n              onClick={() => toggle(todo.id)}\n              className="rounded p-1 hover:bg-slate-100"\n              aria-label="Done"\n            >',
    );
    expect(appliedCode(todoApp, code)).toBe(expected);
  });

  it("re-indents the replacement when the model wrote the SEARCH with more indentation than the file", () => {
    const code = block(
      "      const toggle = (id: number) => {\n        setTodos((list) => list.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)));\n      };",
      "      const toggle = (id: number) => {\n        setTodos((list) =>\n          list.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)),\n        );\n      };",
    );
    const expected = edited(
      todoApp,
      "  const toggle = (id: number) => {\n    setTodos((list) => list.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)));\n  };",
      "  const toggle = (id: number) => {\n    setTodos((list) =>\n      list.map((todo) => (todo.id === id ? { ...todo, done: !todo.done } : todo)),\n    );\n  };",
    );
    expect(appliedCode(todoApp, code)).toBe(expected);
  });

  it("lands the replacement at the file's tab indentation when the model wrote the SEARCH with spaces", () => {
    const tabbed = todoApp.replace(/^( {2})+/gm, (indent) => "\t".repeat(indent.length / 2));
    const code = block(
      '          <li key={todo.id} className="flex items-center gap-2 rounded border p-2">\n            <button onClick={() => toggle(todo.id)} className="rounded p-1 hover:bg-slate-100">',
      '          <li key={todo.id} className="flex items-center gap-3 rounded-lg border p-3">\n            <button onClick={() => toggle(todo.id)} className="rounded p-2 hover:bg-slate-100">',
    );
    const result = appliedCode(tabbed, code);
    const lines = result.split("\n");
    const li = lines.findIndex((line) => line.includes("<li key"));
    expect(lines[li]).toBe('\t\t\t\t\t<li key={todo.id} className="flex items-center gap-3 rounded-lg border p-3">');
    // The deeper line keeps its extra depth after the file's indentation, and no space-only indentation is left at the start.
    expect(lines[li + 1]).toMatch(
      /^\t{5}(\t| {2})<button onClick=\{\(\) => toggle\(todo\.id\)\} className="rounded p-2 hover:bg-slate-100">$/,
    );
    // Everything else is the tabbed file as it was.
    expect([...lines.slice(0, li), ...lines.slice(li + 2)]).toEqual(
      tabbed.split("\n").filter((line) => !line.includes("<li key") && !line.includes("toggle(todo.id)} className")),
    );
  });

  it("lands the replacement at the file's space indentation when the model wrote the SEARCH with tabs", () => {
    const code = block(
      "\tconst remove = (id: number) => {\n\t\tsetTodos((list) => list.filter((todo) => todo.id !== id));\n\t};",
      '\tconst remove = (id: number) => {\n\t\tif (!confirm("Delete it?")) return;\n\t\tsetTodos((list) => list.filter((todo) => todo.id !== id));\n\t};',
    );
    const result = appliedCode(todoApp, code);
    expect(result).toContain("  const remove = (id: number) => {\n  ");
    const lines = result.split("\n");
    const at = lines.indexOf("  const remove = (id: number) => {");
    expect(lines.slice(at, at + 4).map((line) => line.trim())).toEqual([
      "const remove = (id: number) => {",
      'if (!confirm("Delete it?")) return;',
      "setTodos((list) => list.filter((todo) => todo.id !== id));",
      "};",
    ]);
    for (const line of lines.slice(at, at + 4)) expect(line).toMatch(/^ {2}/);
    expect(lines[at + 3]).toBe("  };");
    expect(lines.length).toBe(lineCount(todoApp) + 1);
  });

  it("matches lines whose trailing spaces differ, either in the file or in the SEARCH", () => {
    const withTrailing = edited(todoApp, "  const left = useMemo(", "  const left   = useMemo(").replace(
      '  const [draft, setDraft] = useState("");',
      '  const [draft, setDraft] = useState("");   ',
    );
    const code = block('  const [draft, setDraft] = useState("");', '  const [draft, setDraft] = useState("tea");');
    const result = appliedCode(withTrailing, code);
    expect(result).toContain('  const [draft, setDraft] = useState("tea");\n');
    expect(result).not.toContain('useState("");');

    const searchTrailing = block('  const [draft, setDraft] = useState("");  \t', '  const [draft, setDraft] = useState("tea");');
    expect(appliedCode(todoApp, searchTrailing)).toBe(edited(todoApp, 'useState("");', 'useState("tea");'));
  });

  it("keeps CRLF line ends when the file has them, and applies CRLF blocks to an LF file", () => {
    const crlf = todoApp.replace(/\n/g, "\r\n");
    const code = [
      block('      <ul className="space-y-2">', '      <ul className="space-y-3">'),
      block("          <Plus size={18} />", "          <Plus size={20} />\n          Add"),
    ].join("\n");
    const expected = edited(edited(todoApp, "space-y-2", "space-y-3"), "<Plus size={18} />", "<Plus size={20} />\n          Add");
    expect(appliedCode(crlf, code)).toBe(expected.replace(/\n/g, "\r\n"));
    expect(appliedCode(crlf, code.replace(/\n/g, "\r\n"))).toBe(expected.replace(/\n/g, "\r\n"));
    const lfResult = appliedCode(todoApp, code.replace(/\n/g, "\r\n"));
    expect(lfResult).toBe(expected);
    expect(lfResult).not.toContain("\r");
  });

  it("edits the last lines of a file that ends without a newline, and of one that ends with one", () => {
    const code = block("    </main>\n  );\n}", '    </main>\n  );\n}\n\nexport const title = "Todos";');
    expect(todoApp.endsWith("}")).toBe(true);
    expect(appliedCode(todoApp, code)).toBe(`${todoApp}\n\nexport const title = "Todos";`);
    expect(appliedCode(`${todoApp}\n`, code)).toBe(`${todoApp}\n\nexport const title = "Todos";\n`);
  });

  it("deletes the searched lines when the REPLACE part is empty", () => {
    const removeFunction =
      "  const remove = (id: number) => {\n    setTodos((list) => list.filter((todo) => todo.id !== id));\n  };\n";
    const trashButton =
      '            <button onClick={() => remove(todo.id)} className="rounded p-1 hover:bg-red-50">\n              <Trash2 size={16} />\n            </button>';
    const code = [block(removeFunction, ""), block(trashButton, "")].join("\n");
    // The first block's SEARCH ends with a blank line, so the blank line after the function goes too.
    const expected = edited(edited(todoApp, removeFunction + "\n", ""), trashButton + "\n", "");
    const result = appliedCode(todoApp, code);
    expect(result).toBe(expected);
    expect(lineCount(result)).toBe(lineCount(todoApp) - 4 - 3);
    expect(result).not.toContain("remove");
  });

  it("fails with edit_ambiguous when a SEARCH matches more than one place exactly", () => {
    const code = block("            </button>", "            </button>\n            {/* done */}");
    expect(applyEditBlocks(todoApp, code)).toEqual({
      ok: false,
      code: "edit_ambiguous",
      blockIndex: 0,
      message: 'Edit block 1 matches 2 places in the code (starting "</button>").',
    });
  });

  it("fails with edit_ambiguous when a SEARCH matches no place exactly and more than one ignoring indentation", () => {
    const code = [
      block("  const add = () => {", "  const add = (): void => {"),
      block("</button>", "</button>\n{/* done */}"),
    ].join("\n");
    expect(applyEditBlocks(todoApp, code)).toMatchObject({
      ok: false,
      code: "edit_ambiguous",
      blockIndex: 1,
      message: expect.stringContaining("matches 3 places"),
    });
  });

  it("prefers the one exact match over several that match only ignoring indentation", () => {
    // `</button>` sits at 8 spaces once (the add button) and at 12 spaces twice (in each row).
    const code = block("        </button>", "        </button>\n        <span>{left}</span>");
    const result = appliedCode(todoApp, code);
    expect(result).toBe(
      edited(
        todoApp,
        "          <Plus size={18} />\n        </button>\n",
        "          <Plus size={18} />\n        </button>\n        <span>{left}</span>\n",
      ),
    );
  });

  it("fails with edit_no_match and the index of the block whose SEARCH the code does not have", () => {
    const code = [
      block('      <ul className="space-y-2">', '      <ul className="space-y-3">'),
      block("  const clearDone = () => {", "  const clearAll = () => {"),
    ].join("\n");
    expect(applyEditBlocks(todoApp, code)).toEqual({
      ok: false,
      code: "edit_no_match",
      blockIndex: 1,
      message: 'Edit block 2 searches for lines the code does not have (starting "const clearDone = () => {").',
    });
  });

  it("does not match a SEARCH that is only part of a line, nor one whose middle line is missing", () => {
    expect(applyEditBlocks(todoApp, block("bg-indigo-600", "bg-emerald-600"))).toMatchObject({ code: "edit_no_match" });
    expect(
      applyEditBlocks(todoApp, block("  const add = () => {\n    if (!title) return;", "  const add = () => {")),
    ).toMatchObject({ code: "edit_no_match", blockIndex: 0 });
  });

  it("fails with edit_malformed, and no code, for an unclosed block, a divider without SEARCH, a second SEARCH in a block, or nothing to search", () => {
    const good = block('      <ul className="space-y-2">', '      <ul className="space-y-3">');
    const cases: [string, RegExp][] = [
      [`${good}\n<<<<<<< SEARCH\n  const add = () => {\n=======\n  const add = (): void => {`, /not closed by a REPLACE marker/],
      [`${good}\n=======\n  const add = (): void => {\n>>>>>>> REPLACE`, /divider without its SEARCH/],
      [
        `<<<<<<< SEARCH\n  const add = () => {\n<<<<<<< SEARCH\n  const toggle = (id: number) => {\n=======\n\n>>>>>>> REPLACE`,
        /SEARCH marker inside/,
      ],
      ["Only some prose, no block at all.", /no complete edit block/],
    ];
    for (const [code, message] of cases) {
      expect(applyEditBlocks(todoApp, code), code).toEqual({
        ok: false,
        code: "edit_malformed",
        message: expect.stringMatching(message),
      });
    }
    expect(applyEditBlocks(todoApp, `${good}\n<<<<<<< SEARCH\n   \n=======\nexport {};\n>>>>>>> REPLACE`)).toEqual({
      ok: false,
      code: "edit_malformed",
      blockIndex: 1,
      message: "Edit block 2 has nothing to search for.",
    });
  });
});

describe("locateSearch (where a streamed block lands, for the diff's header)", () => {
  it("gives the 0-based line of the one place the SEARCH matches, exactly or ignoring indentation", () => {
    const lines = todoApp.split("\n");
    expect(locateSearch(todoApp, "  const toggle = (id: number) => {")).toBe(lines.indexOf("  const toggle = (id: number) => {"));
    expect(locateSearch(todoApp, "        </button>")).toBe(lines.indexOf("        </button>"));
    expect(locateSearch(todoApp, '<main className="mx-auto max-w-md p-6">\n  <h1')).toBeUndefined();
    expect(locateSearch(todoApp, '<main className="mx-auto max-w-md p-6">')).toBe(
      lines.indexOf('    <main className="mx-auto max-w-md p-6">'),
    );
    expect(locateSearch(todoApp.replace(/\n/g, "\r\n"), "  const toggle = (id: number) => {\r\n")).toBeUndefined();
    expect(locateSearch(todoApp.replace(/\n/g, "\r\n"), "  const toggle = (id: number) => {")).toBe(22);
  });

  it("gives nothing when the SEARCH matches no place, or several", () => {
    expect(locateSearch(todoApp, "  const clearDone = () => {")).toBeUndefined();
    expect(locateSearch(todoApp, "            </button>")).toBeUndefined();
    expect(locateSearch(todoApp, "</button>")).toBeUndefined();
  });
});

describe("resolveEditAnswer (a finished answer as the version it makes)", () => {
  it("applies the fake edit answer to the pomodoro: the follow-up's file, in an answer that keeps the model's prose", () => {
    const resolved = resolveEditAnswer(fakeReply("edit"), pomodoro);
    if (resolved.kind !== "edits" || !resolved.ok) throw new Error(`not applied: ${JSON.stringify(resolved)}`);
    expect(resolved.code).toBe(biggerButtons);
    const rewritten = extractReply(resolved.content);
    const original = extractReply(fakeReply("edit"));
    expect(rewritten).toEqual({ ...original, code: biggerButtons });
    expect(resolved.content).not.toContain("<<<<<<< SEARCH");
  });

  it("is plain for a fence holding a whole file, an answer without code, and edit blocks still streaming", () => {
    expect(resolveEditAnswer(fakeReply("follow-up"), pomodoro)).toEqual({ kind: "plain" });
    expect(resolveEditAnswer(fakeReply("no-code"), pomodoro)).toEqual({ kind: "plain" });
    const edit = fakeReply("edit");
    expect(resolveEditAnswer(edit.slice(0, edit.lastIndexOf("```")), pomodoro)).toEqual({ kind: "plain" });
    expect(resolveEditAnswer(fakeReply("follow-up"), undefined)).toEqual({ kind: "plain" });
  });

  it("fails for blocks that do not apply, and for blocks with no earlier version to edit", () => {
    expect(resolveEditAnswer(fakeReply("bad-edit"), pomodoro)).toEqual({
      kind: "edits",
      ok: false,
      failure: expect.objectContaining({ ok: false, code: "edit_no_match", blockIndex: 0 }),
    });
    expect(resolveEditAnswer(fakeReply("edit"), undefined)).toEqual({
      kind: "edits",
      ok: false,
      failure: { ok: false, code: "edit_no_match", message: "There is no earlier version to edit." },
    });
    // Applied to the wrong version (already bigger), the blocks find nothing.
    expect(resolveEditAnswer(fakeReply("edit"), biggerButtons)).toMatchObject({
      kind: "edits",
      ok: false,
      failure: { code: "edit_no_match" },
    });
  });

  it("resolves an answer sent with CRLF line ends to the same file", () => {
    const resolved = resolveEditAnswer(fakeReply("edit").replace(/\n/g, "\r\n"), pomodoro);
    expect(resolved).toMatchObject({ kind: "edits", ok: true, code: biggerButtons });
  });
});

describe("answerWithCode", () => {
  it("puts the code in a tsx fence between the prose, each part separated by a blank line", () => {
    expect(answerWithCode({ before: "Here it is:", after: "Enjoy." }, "export default function App() {}")).toBe(
      "Here it is:\n\n```tsx\nexport default function App() {}\n```\n\nEnjoy.",
    );
  });

  it("leaves out empty prose, and adds no second newline to code that ends with one", () => {
    expect(answerWithCode({ before: "", after: "" }, "const a = 1;\n")).toBe("```tsx\nconst a = 1;\n```");
    expect(answerWithCode({ before: "Only before.", after: "" }, "const a = 1;")).toBe(
      "Only before.\n\n```tsx\nconst a = 1;\n```",
    );
  });

  it("gives an answer from which extractReply reads back the same prose and code", () => {
    const reply = extractReply(fakeReply("default"));
    const rebuilt = extractReply(answerWithCode(reply, todoApp));
    expect(rebuilt).toEqual({ before: reply.before, code: todoApp, language: "tsx", fence: "closed", after: reply.after });
  });
});
