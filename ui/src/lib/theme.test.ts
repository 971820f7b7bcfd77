import { afterEach, describe, expect, it } from "vitest";
import { THEME_KEY, applyTheme, initialTheme, loadTheme, otherTheme, saveTheme } from "./theme";

describe("theme", () => {
  afterEach(() => localStorage.clear());

  it("follows the system without a stored choice, the stored choice otherwise", () => {
    expect(initialTheme(null, true)).toBe("dark");
    expect(initialTheme(null, false)).toBe("light");
    expect(initialTheme("light", true)).toBe("light");
    expect(initialTheme("bogus", true)).toBe("dark");
  });

  it("remembers the choice in localStorage", () => {
    saveTheme("dark");
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");
    expect(loadTheme()).toBe("dark");
    saveTheme(otherTheme("dark"));
    expect(loadTheme()).toBe("light");
  });

  it("applies the theme to <html>", () => {
    applyTheme("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
  });
});
