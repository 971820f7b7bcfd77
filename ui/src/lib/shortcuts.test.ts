import { describe, expect, it } from "vitest";
import { BINDINGS, commandFor, formatShortcut, parseShortcut, type KeyLike } from "./shortcuts";

const key = (k: string, mods: Partial<Omit<KeyLike, "key">> = {}): KeyLike => ({
  key: k,
  ctrlKey: false,
  shiftKey: false,
  altKey: false,
  metaKey: false,
  ...mods,
});

describe("shortcuts", () => {
  it("maps Ctrl+S, Ctrl+P, Ctrl+Shift+P and Ctrl+Enter on Linux", () => {
    expect(commandFor(key("s", { ctrlKey: true }), BINDINGS, false)).toBe("save");
    expect(commandFor(key("p", { ctrlKey: true }), BINDINGS, false)).toBe("quick_open");
    // With Shift held the browser reports an upper-case key.
    expect(commandFor(key("P", { ctrlKey: true, shiftKey: true }), BINDINGS, false)).toBe("command_palette");
    expect(commandFor(key("Enter", { ctrlKey: true }), BINDINGS, false)).toBe("run_tests");
    expect(commandFor(key("F1"), BINDINGS, false)).toBe("command_palette");
    expect(commandFor(key("b", { ctrlKey: true }), BINDINGS, false)).toBe("toggle_sidebar");
  });

  it("needs exactly the modifiers of the binding", () => {
    expect(commandFor(key("s"), BINDINGS, false)).toBeNull();
    expect(commandFor(key("s", { ctrlKey: true, altKey: true }), BINDINGS, false)).toBeNull();
    expect(commandFor(key("Enter"), BINDINGS, false)).toBeNull();
    expect(commandFor(key("p", { ctrlKey: true, shiftKey: true }), BINDINGS, false)).toBe("command_palette");
  });

  it("uses Cmd for Mod on macOS", () => {
    expect(commandFor(key("s", { metaKey: true }), BINDINGS, true)).toBe("save");
    expect(commandFor(key("s", { ctrlKey: true }), BINDINGS, true)).toBeNull();
  });

  it("formats shortcuts for menus", () => {
    expect(formatShortcut("Mod+Shift+P", false)).toBe("Ctrl+Shift+P");
    expect(formatShortcut("Mod+Enter", false)).toBe("Ctrl+Enter");
    expect(formatShortcut("Mod+S", true)).toBe("⌘S");
  });

  it("rejects unknown modifiers", () => {
    expect(() => parseShortcut("Hyper+S")).toThrow(/unknown modifier/);
  });
});
