/**
 * The libraries generated apps may import, at the exact versions Kiln ships. One list for everyone
 * who must agree on it: the system prompt tells the model, the preview runtime bundles and serves
 * these versions (scripts/build-preview.ts), the frame refuses any other import, and Sandpack mode
 * asks its bundler for the same versions. package.json pins the same versions (a test checks).
 */

export interface AllowedLibrary {
  /** The npm package. */
  name: string;
  version: string;
  /** Every module specifier an app may import from this package. */
  specifiers: string[];
  /** The preview runtime's bundle that provides it; "react" is loaded with every frame. */
  bundle: "react" | "lucide-react" | "recharts";
  /** What the system prompt says it is for. */
  purpose: string;
}

export const ALLOWED_LIBRARIES: AllowedLibrary[] = [
  {
    name: "react",
    version: "18.3.1",
    specifiers: ["react", "react/jsx-runtime", "react/jsx-dev-runtime"],
    bundle: "react",
    purpose: "components and hooks",
  },
  {
    name: "react-dom",
    version: "18.3.1",
    specifiers: ["react-dom", "react-dom/client"],
    bundle: "react",
    purpose: "portals",
  },
  { name: "lucide-react", version: "0.460.0", specifiers: ["lucide-react"], bundle: "lucide-react", purpose: "icons" },
  { name: "recharts", version: "2.15.4", specifiers: ["recharts"], bundle: "recharts", purpose: "charts" },
];

/** The library an import specifier belongs to, or undefined when apps may not import it. */
export function libraryOf(specifier: string): AllowedLibrary | undefined {
  return ALLOWED_LIBRARIES.find((library) => library.specifiers.includes(specifier));
}

/** `"react", "react-dom", "lucide-react", "recharts"`: for sentences shown to models and users. */
export function allowedPackageList(): string {
  return ALLOWED_LIBRARIES.map((library) => `"${library.name}"`).join(", ");
}
