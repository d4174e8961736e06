// Node modules that Tailwind imports but never calls on the path the frame uses (config files,
// file watching, content globs): empty, so the bundle stays small and browser-only.
export default {};
