// Light and dark themes: the user's choice is remembered in localStorage; without one the
// system's preference (prefers-color-scheme) decides. Colours live in CSS variables
// (app.css) keyed on <html data-theme>, so switching touches one attribute.

export type Theme = "light" | "dark";

export const THEME_KEY = "prowl.theme";

export function initialTheme(stored: string | null, prefersDark: boolean): Theme {
  if (stored === "light" || stored === "dark") return stored;
  return prefersDark ? "dark" : "light";
}

export function otherTheme(theme: Theme): Theme {
  return theme === "dark" ? "light" : "dark";
}

function storage(): Storage | null {
  try {
    return typeof localStorage !== "undefined" ? localStorage : null;
  } catch {
    return null; // storage can be disabled; the theme then lasts for the session
  }
}

export function loadTheme(): Theme {
  const prefersDark = typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  return initialTheme(storage()?.getItem(THEME_KEY) ?? null, prefersDark);
}

export function saveTheme(theme: Theme): void {
  storage()?.setItem(THEME_KEY, theme);
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
}
