/**
 * The prompt textarea: Enter sends, Shift+Enter makes a new line. Its text lives in the chat machine
 * (so EDIT can put a prompt back), not in component state.
 */
export function PromptBox({
  value,
  onChange,
  onSubmit,
  placeholder,
  disabled,
  label,
  children,
}: {
  value: string;
  onChange: (text: string) => void;
  onSubmit: () => void;
  placeholder: string;
  disabled?: boolean;
  label: string;
  children?: React.ReactNode;
}) {
  return (
    <form
      className="prompt-box"
      onSubmit={(event) => {
        event.preventDefault();
        if (!disabled) onSubmit();
      }}
    >
      <textarea
        aria-label={label}
        value={value}
        placeholder={placeholder}
        rows={3}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={(event) => {
          // isComposing: Enter that confirms an IME composition (Japanese, Chinese…) is not a submit.
          if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            if (!disabled && value.trim()) onSubmit();
          }
        }}
      />
      <div className="prompt-box-actions">
        {children}
        <button type="submit" className="primary" disabled={disabled || !value.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
