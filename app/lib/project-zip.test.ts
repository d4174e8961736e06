import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { extractReply } from "../../machines/code-fence";
import { fakeReply } from "../../tests/support/fake-reply";
import { projectFiles } from "./project-files";
import { projectZip } from "./project-zip";

describe("projectZip", () => {
  it("zips every project file at the ZIP's root, and unzips to the same text, emoji and CJK included", () => {
    const code = extractReply(fakeReply("default")).code;
    const zip = projectZip({ code, title: "A pomodoro timer", version: 2 });
    expect(zip.name).toBe("a-pomodoro-timer-v2.zip");
    expect([...zip.bytes.slice(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
    const unzipped = Object.fromEntries(Object.entries(unzipSync(zip.bytes)).map(([path, bytes]) => [path, strFromU8(bytes)]));
    expect(unzipped).toEqual(projectFiles({ code, title: "A pomodoro timer" }));
    expect(unzipped["src/App.tsx"]).toBe(code);
  });
});
