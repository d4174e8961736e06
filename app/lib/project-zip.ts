/**
 * Packs the "Download project" files (app/lib/project-files.ts) into a ZIP with fflate. The button
 * (app/components/download-project-button.tsx) imports this module only when it is clicked, so
 * fflate never weighs on a page load; Node runs the same code in tests/integration/project-build.test.ts.
 */
import { strToU8, zipSync, type Zippable } from "fflate";
import { projectFiles, projectZipName } from "./project-files";

export interface ProjectZip {
  /** `<slug>-v<N>.zip` */
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** The project of version `version` of the chat titled `title`, zipped, files at the ZIP's root. */
export function projectZip({ code, title, version }: { code: string; title: string; version: number }): ProjectZip {
  return { name: projectZipName(title, version), bytes: zipFiles(projectFiles({ code, title })) };
}

/** A ZIP of the given files (path → UTF-8 text), deflated. */
export function zipFiles(files: Record<string, string>): Uint8Array<ArrayBuffer> {
  const entries: Zippable = {};
  for (const [path, text] of Object.entries(files)) entries[path] = strToU8(text);
  // fflate allocates a plain ArrayBuffer (never a shared one), which is what a Blob takes.
  return zipSync(entries, { level: 9 }) as Uint8Array<ArrayBuffer>;
}
