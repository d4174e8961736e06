import { diffLines } from "diff";
import { memo } from "react";
import { locateSearch, type EditBlock, type ParsedEdits } from "../../machines/edit-blocks";

/**
 * A follow-up's edit blocks as they stream, shown as the change they make to the current version:
 * removed lines, added lines, the unchanged lines around them, and where in the file each change
 * lands. Finished blocks are memoised, so only the block being written re-renders.
 */
export function EditDiff({ base, parsed }: { base: string; parsed: ParsedEdits }) {
  return (
    <span className="edit-diff" data-testid="edit-diff">
      {parsed.blocks.map((block, index) => (
        <DiffHunk key={index} base={base} index={index} search={block.search} replace={block.replace} />
      ))}
      {parsed.partial && (
        <DiffHunk
          base={base}
          index={parsed.blocks.length}
          search={parsed.partial.search}
          replace={parsed.partial.replace}
          writing
        />
      )}
    </span>
  );
}

const DiffHunk = memo(function DiffHunk({
  base,
  index,
  search,
  replace,
  writing = false,
}: {
  base: string;
  index: number;
  search: EditBlock["search"];
  /** Undefined until the block's divider arrives. */
  replace?: EditBlock["replace"];
  writing?: boolean;
}) {
  // Until the divider arrives the block is all SEARCH: the lines about to change.
  const parts =
    replace === undefined
      ? [{ value: withNewline(search), removed: true, added: false }]
      : diffLines(withNewline(search), withNewline(replace));
  const at = writing && replace === undefined ? undefined : locateSearch(base, search);
  return (
    <span className="diff-hunk" data-testid="diff-hunk">
      <span className="diff-hunk-header">
        Change {index + 1}
        {at !== undefined && ` · line ${at + 1}`}
        {writing && " · writing…"}
      </span>
      {parts.flatMap((part, partIndex) =>
        splitLines(part.value).map((line, lineIndex) => {
          const kind = part.added ? "added" : part.removed ? "removed" : "same";
          return (
            <span key={`${partIndex}:${lineIndex}`} className={`diff-line diff-${kind}`} data-kind={kind}>
              {kind === "added" ? "+ " : kind === "removed" ? "- " : "  "}
              {line}
              {"\n"}
            </span>
          );
        }),
      )}
    </span>
  );
});

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
