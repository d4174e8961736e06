// Tailwind reads one file at run time: its preflight stylesheet, bundled here as text.
import preflight from "tailwindcss/lib/css/preflight.css";

export function readFileSync(): string {
  return preflight;
}
export default { readFileSync };
