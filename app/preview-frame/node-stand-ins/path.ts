// Tailwind joins paths to find its own files and the user's config; in the frame there are none.
export const join = (...parts: string[]) => parts.join("/");
export const resolve = join;
export const dirname = (path: string) => path.slice(0, path.lastIndexOf("/"));
export const extname = (path: string) => /\.[^./]*$/.exec(path)?.[0] ?? "";
export const isAbsolute = (path: string) => path.startsWith("/");
export const sep = "/";
export default { join, resolve, dirname, extname, isAbsolute, sep };
