// Keyboard shortcuts: "Mod+Shift+P" style bindings (Mod is Ctrl, or Cmd on macOS) matched
// against KeyboardEvents. The app listens on window in the capture phase so its shortcuts
// win over the editors' own keymaps (CodeMirror binds Mod-Enter, for one).

export interface Shortcut {
  key: string;
  ctrl: boolean;
  shift: boolean;
  alt: boolean;
  meta: boolean;
}

export type KeyLike = Pick<KeyboardEvent, "key" | "ctrlKey" | "shiftKey" | "altKey" | "metaKey">;

export function isMac(platform: string = typeof navigator !== "undefined" ? navigator.platform : ""): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

export function parseShortcut(spec: string, mac = isMac()): Shortcut {
  const parts = spec.split("+");
  const key = parts.pop();
  if (!key) throw new Error(`empty shortcut: ${spec}`);
  const sc: Shortcut = { key: key.toLowerCase(), ctrl: false, shift: false, alt: false, meta: false };
  for (const p of parts) {
    switch (p.toLowerCase()) {
      case "mod":
        if (mac) sc.meta = true;
        else sc.ctrl = true;
        break;
      case "ctrl":
        sc.ctrl = true;
        break;
      case "shift":
        sc.shift = true;
        break;
      case "alt":
        sc.alt = true;
        break;
      case "meta":
      case "cmd":
        sc.meta = true;
        break;
      default:
        throw new Error(`unknown modifier ${p} in ${spec}`);
    }
  }
  return sc;
}

export function matches(event: KeyLike, sc: Shortcut): boolean {
  return (
    event.key.toLowerCase() === sc.key &&
    event.ctrlKey === sc.ctrl &&
    event.shiftKey === sc.shift &&
    event.altKey === sc.alt &&
    event.metaKey === sc.meta
  );
}

/** How a shortcut reads in menus: "Ctrl+Shift+P" (or "⌘⇧P" on macOS). */
export function formatShortcut(spec: string, mac = isMac()): string {
  const sc = parseShortcut(spec, mac);
  const key = sc.key.length === 1 ? sc.key.toUpperCase() : sc.key[0].toUpperCase() + sc.key.slice(1);
  if (mac) {
    return `${sc.ctrl ? "⌃" : ""}${sc.alt ? "⌥" : ""}${sc.shift ? "⇧" : ""}${sc.meta ? "⌘" : ""}${key}`;
  }
  return [sc.ctrl && "Ctrl", sc.alt && "Alt", sc.shift && "Shift", sc.meta && "Meta", key].filter(Boolean).join("+");
}

export interface Binding<C extends string> {
  keys: string;
  command: C;
}

/** The command bound to the key event, if any. */
export function commandFor<C extends string>(event: KeyLike, bindings: Binding<C>[], mac = isMac()): C | null {
  for (const b of bindings) {
    if (matches(event, parseShortcut(b.keys, mac))) return b.command;
  }
  return null;
}

/** The app's commands that have keys. */
export type ShortcutCommand = "save" | "quick_open" | "command_palette" | "run_tests" | "toggle_sidebar" | "close_overlay";

export const BINDINGS: Binding<ShortcutCommand>[] = [
  { keys: "Mod+S", command: "save" },
  { keys: "Mod+P", command: "quick_open" },
  { keys: "Mod+Shift+P", command: "command_palette" },
  { keys: "F1", command: "command_palette" },
  { keys: "Mod+Enter", command: "run_tests" },
  { keys: "Mod+B", command: "toggle_sidebar" },
  { keys: "Escape", command: "close_overlay" },
];
