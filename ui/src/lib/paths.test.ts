import { describe, expect, it } from "vitest";
import { basename, dirname, languageFor, normalize, relativeTo, resolve, samePath } from "./paths";

describe("paths", () => {
  it("normalizes separators, dots and trailing slashes", () => {
    expect(normalize("/ws//rules/./a/../b.yml")).toBe("/ws/rules/b.yml");
    expect(normalize("C:\\ws\\rules\\")).toBe("C:/ws/rules");
  });

  it("makes paths relative to the root, or null outside it", () => {
    expect(relativeTo("/ws", "/ws/rules/a.yml")).toBe("rules/a.yml");
    expect(relativeTo("/ws/", "/ws/rules/a.yml")).toBe("rules/a.yml");
    expect(relativeTo("/ws", "/wsx/a.yml")).toBeNull();
  });

  it("compares relative and absolute paths against the root", () => {
    expect(samePath("rules/a.yml", "/ws/rules/a.yml", "/ws")).toBe(true);
    expect(resolve("/ws", "/abs/x.py")).toBe("/abs/x.py");
  });

  it("names files and languages", () => {
    expect(basename("/ws/rules/a.yml")).toBe("a.yml");
    expect(dirname("/ws/rules/a.yml")).toBe("/ws/rules");
    expect(languageFor("x.py")).toBe("python");
    expect(languageFor("x.YAML")).toBe("yaml");
    expect(languageFor("x.json")).toBe("json");
    expect(languageFor("README")).toBe("text");
  });
});
