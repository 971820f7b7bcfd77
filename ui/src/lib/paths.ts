// Path helpers for the paths the shell hands us: absolute paths of files in the workspace
// (`spec_path`, `code_path`, `Diagnostic.file`, traceback frames) and root-relative ones with
// `/` separators (`rel_path`, git status). Windows separators are accepted and compared as `/`.

export function normalize(path: string): string {
  let p = path.replace(/\\/g, "/");
  p = p.replace(/\/{2,}/g, "/");
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") {
      if (parts.length === 1 && parts[0] === "") continue; // "/.." stays at root
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  p = parts.join("/");
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return p;
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(path);
}

/** `path` made absolute against `root` when it is relative. */
export function resolve(root: string, path: string): string {
  if (isAbsolute(path)) return normalize(path);
  return normalize(`${root}/${path}`);
}

/** `path` relative to `root` with `/` separators, or null when it lies outside. */
export function relativeTo(root: string, path: string): string | null {
  const r = normalize(root);
  const p = normalize(path);
  if (p === r) return "";
  const prefix = r.endsWith("/") ? r : `${r}/`;
  return p.startsWith(prefix) ? p.slice(prefix.length) : null;
}

/** Whether two paths name the same file, relative ones taken against `root`. */
export function samePath(a: string, b: string, root = ""): boolean {
  return resolve(root, a) === resolve(root, b);
}

export function basename(path: string): string {
  const p = normalize(path);
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

export function dirname(path: string): string {
  const p = normalize(path);
  const i = p.lastIndexOf("/");
  if (i < 0) return "";
  return i === 0 ? "/" : p.slice(0, i);
}

export type FileLanguage = "python" | "yaml" | "json" | "text";

export function languageFor(path: string): FileLanguage {
  const name = basename(path).toLowerCase();
  if (name.endsWith(".py")) return "python";
  if (name.endsWith(".yml") || name.endsWith(".yaml")) return "yaml";
  if (name.endsWith(".json") || name.endsWith(".jsonl")) return "json";
  return "text";
}
