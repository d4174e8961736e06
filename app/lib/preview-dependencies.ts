/**
 * The npm packages the Sandpack preview installs. The system prompt (server/system-prompt.ts) allows
 * exactly these, so keep the two in step by importing this one list in both places.
 */
export const PREVIEW_DEPENDENCIES: Record<string, string> = {
  "lucide-react": "^0.460.0",
  recharts: "^2.13.0",
};
