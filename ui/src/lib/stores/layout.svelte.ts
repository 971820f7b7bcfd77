// How the window is laid out: the bottom panel (which tab, open or not), the explorer sidebar,
// the open picker (Ctrl+P, Ctrl+Shift+P), the theme, and a result row the results panel should
// reveal. No shell calls; the theme is kept in the page's local storage.

import { applyTheme, loadTheme, otherTheme, saveTheme, type Theme } from "../theme";

export type PanelTab = "problems" | "results" | "output";
export type Overlay = "quick_open" | "command_palette";

export class Layout {
  panel = $state<PanelTab>("problems");
  panelOpen = $state(true);
  sidebarOpen = $state(true);
  overlay = $state<Overlay | null>(null);
  theme = $state<Theme>("light");
  /** A result row the results panel should reveal; `seq` changes for every request. */
  resultFocus = $state<{ key: string; seq: number } | null>(null);
  #seq = 0;

  constructor() {
    this.theme = loadTheme();
    applyTheme(this.theme);
  }

  toggleTheme(): void {
    this.theme = otherTheme(this.theme);
    saveTheme(this.theme);
    applyTheme(this.theme);
  }

  showPanel(panel: PanelTab): void {
    this.panel = panel;
    this.panelOpen = true;
  }

  togglePanel(): void {
    this.panelOpen = !this.panelOpen;
  }

  toggleSidebar(): void {
    this.sidebarOpen = !this.sidebarOpen;
  }

  openOverlay(overlay: Overlay): void {
    this.overlay = overlay;
  }

  closeOverlay(): void {
    this.overlay = null;
  }

  /** Opens `overlay`, or closes it when it is the one open. */
  toggleOverlay(overlay: Overlay): void {
    this.overlay = this.overlay === overlay ? null : overlay;
  }

  /** Shows the results panel scrolled to one result row (a verdict clicked in the test list). */
  revealResult(key: string): void {
    this.showPanel("results");
    this.resultFocus = { key, seq: ++this.#seq };
  }
}
