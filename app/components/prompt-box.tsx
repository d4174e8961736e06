import { useState } from "react";
import { imageFilesOf } from "~/lib/image-files";

/**
 * The prompt textarea: Enter sends, Shift+Enter makes a new line. Its text lives in the chat machine
 * (so EDIT can put a prompt back), not in component state. With `onFiles`, files dropped onto the box
 * or pasted into it are handed over (images to attach, app/components/image-attach.tsx), shown in
 * `attachments` above the actions.
 */
export function PromptBox({
  value,
  onChange,
  onSubmit,
  placeholder,
  disabled,
  label,
  children,
  onFiles,
  attachments,
}: {
  value: string;
  onChange: (text: string) => void;
  onSubmit: () => void;
  placeholder: string;
  disabled?: boolean;
  label: string;
  children?: React.ReactNode;
  onFiles?: (files: File[]) => void;
  attachments?: React.ReactNode;
}) {
  // Only the highlight while files hover over the box: what is attached lives with the caller.
  const [dropping, setDropping] = useState(false);
  const carriesFiles = (event: React.DragEvent) => Boolean(onFiles) && event.dataTransfer.types.includes("Files");
  return (
    <form
      className={dropping ? "prompt-box dropping" : "prompt-box"}
      onSubmit={(event) => {
        event.preventDefault();
        if (!disabled) onSubmit();
      }}
      onDragOver={(event) => {
        if (!carriesFiles(event)) return;
        // Without this the browser opens the dropped file in place of Kiln.
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDropping(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
      }}
      onDrop={(event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        setDropping(false);
        onFiles?.(imageFilesOf(event.dataTransfer));
      }}
    >
      <textarea
        aria-label={label}
        value={value}
        placeholder={placeholder}
        rows={3}
        onChange={(event) => onChange(event.target.value)}
        onPaste={(event) => {
          const files = onFiles ? imageFilesOf(event.clipboardData) : [];
          // A screenshot on the clipboard is attached; pasted text goes into the box as usual.
          if (files.length === 0) return;
          event.preventDefault();
          onFiles?.(files);
        }}
        onKeyDown={(event) => {
          // isComposing: Enter that confirms an IME composition (Japanese, Chinese…) is not a submit.
          if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            if (!disabled && value.trim()) onSubmit();
          }
        }}
      />
      {attachments}
      <div className="prompt-box-actions">
        {children}
        <button type="submit" className="primary" disabled={disabled || !value.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
