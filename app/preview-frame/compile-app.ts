/**
 * Turns an app's TSX into a CommonJS function body the frame can run. Pure: sucrase strips the
 * types, compiles JSX for React's development runtime (readable warnings with file and line) and
 * turns imports into `require` calls. Sucrase keeps every statement on its original line, so line
 * numbers in errors are the user's line numbers.
 */
import { transform } from "sucrase";

export interface CompiledApp {
  ok: true;
  code: string;
}

export interface CompileFailure {
  ok: false;
  message: string;
  line?: number;
  column?: number;
}

export function compileApp(source: string, filePath = "/App.tsx"): CompiledApp | CompileFailure {
  try {
    const { code } = transform(source, {
      transforms: ["typescript", "jsx", "imports"],
      jsxRuntime: "automatic",
      production: false,
      filePath,
    });
    return { ok: true, code };
  } catch (error) {
    return compileFailure(error);
  }
}

/**
 * Sucrase's syntax errors read "Error transforming /App.tsx: Unexpected token (7:3)": the file is
 * known (there is one), the position is given as numbers, both counted from 1.
 */
function compileFailure(error: unknown): CompileFailure {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^Error transforming [^:]*: /, "");
  const position = /\s*\((\d+):(\d+)\)\s*$/.exec(message);
  if (!position) return { ok: false, message };
  return {
    ok: false,
    message: message.slice(0, position.index),
    line: Number(position[1]),
    column: Number(position[2]),
  };
}
