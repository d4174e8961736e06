/** How many lines the code view puts in one block. */
export const LINES_PER_BLOCK = 40;

/**
 * The code in blocks of 40 lines. While it streams only the last block changes, so React skips the
 * others and the browser (`contain: content`) lays out only the new one: the cost of an update stays
 * flat however long the code grows. Each block keeps its line breaks, so the text is unchanged.
 */
export function codeBlocks(code: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  while (start < code.length) {
    let end = start;
    for (let line = 0; line < LINES_PER_BLOCK && end !== -1; line++) end = code.indexOf("\n", end + (line === 0 ? 0 : 1));
    const stop = end === -1 ? code.length : end + 1;
    blocks.push(code.slice(start, stop));
    start = stop;
  }
  return blocks;
}
