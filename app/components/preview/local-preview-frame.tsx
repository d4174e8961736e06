import { useEffect, useRef } from "react";
import type { ActorRefFrom } from "xstate";
import type { previewMachine } from "../../../machines/preview.machine";
import { FramePool } from "./frame-pool";
import { PREVIEW_FRAME_URL } from "../../../machines/preview-settings";

/**
 * Kiln's own preview: connects the preview machine to a pool of sandboxed frames. A new run (the
 * machine's run id changes) takes a frame; the `run` message the machine emits is posted to it.
 */
export function LocalPreviewFrame({ preview, hidden }: { preview: ActorRefFrom<typeof previewMachine>; hidden: boolean }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const pool = new FramePool(container.current!, PREVIEW_FRAME_URL, (event) => preview.send(event));
    let runId: number | undefined;
    const follow = (snapshot: ReturnType<typeof preview.getSnapshot>) => {
      const run = snapshot.context.run;
      if (!run) {
        if (runId !== undefined) pool.clear();
        runId = undefined;
      } else if (run.id !== runId) {
        runId = run.id;
        pool.start(run.id);
      }
    };
    const posting = preview.on("run", ({ runId: id, message }) => pool.post(id, message));
    const following = preview.subscribe(follow);
    follow(preview.getSnapshot());
    return () => {
      posting.unsubscribe();
      following.unsubscribe();
      pool.destroy();
    };
  }, [preview]);
  return <div ref={container} className="preview-frames" hidden={hidden} />;
}
