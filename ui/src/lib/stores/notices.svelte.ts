// What the app tells the user: notices (errors and short notes, bottom right, an error possibly
// with actions that lead to the next step), the output log (engine, git, workspace, environment
// and app messages) and the one confirmation dialog.
//
// Invariants: the log keeps the last OUTPUT_LIMIT lines; notice ids and line numbers only grow;
// at most one confirmation is open (asking again answers the open one with "no"). Every error
// shown goes through `fail`, which takes any thrown value and shows it as a ShellError (code,
// message, place, hint).

import { toShellError, type ShellError } from "../api";

export interface OutputLine {
  seq: number;
  time: string;
  source: "workspace" | "engine" | "git" | "env" | "audit" | "replay" | "deploy" | "upstream" | "app";
  level: "info" | "error";
  text: string;
}

/** A button on a notice that takes the next step (the notice goes away when it is clicked). */
export interface NoticeAction {
  label: string;
  run: () => void;
}

export interface Notice {
  id: number;
  level: "error" | "info";
  title: string;
  error: ShellError | null;
  actions: NoticeAction[];
}

export interface ConfirmRequest {
  title: string;
  message: string;
  okLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

const OUTPUT_LIMIT = 2000;
const INFO_MS = 5000;

function now(): string {
  return new Date().toLocaleTimeString([], { hour12: false });
}

export class Notices {
  /** Notices on screen, oldest first. */
  list = $state<Notice[]>([]);
  output = $state<OutputLine[]>([]);
  confirmRequest = $state<ConfirmRequest | null>(null);
  #seq = 0;

  log(source: OutputLine["source"], text: string, level: OutputLine["level"] = "info"): void {
    this.output.push({ seq: ++this.#seq, time: now(), source, level, text });
    if (this.output.length > OUTPUT_LIMIT) this.output.splice(0, this.output.length - OUTPUT_LIMIT);
  }

  clearOutput(): void {
    this.output.splice(0);
  }

  /**
   * Shows an error (a ShellError or anything thrown) with its place and hint, and logs it;
   * `actions` are buttons on the notice for the next step.
   */
  fail(title: string, error: unknown, source: OutputLine["source"] = "app", actions: NoticeAction[] = []): void {
    const e = toShellError(error);
    const where = e.place ? ` (${e.place})` : "";
    this.log(source, `${title}: ${e.message}${where}${e.hint ? ` — hint: ${e.hint}` : ""}`, "error");
    this.show(title, e, actions);
  }

  /** Shows an error notice without logging it (the caller logs its own line). */
  show(title: string, error: ShellError, actions: NoticeAction[] = []): void {
    this.list.push({ id: ++this.#seq, level: "error", title, error, actions });
  }

  /** Runs a notice's action and dismisses the notice. */
  act(id: number, action: NoticeAction): void {
    this.dismiss(id);
    action.run();
  }

  /** A short note that goes away by itself. */
  inform(title: string): void {
    const id = ++this.#seq;
    this.list.push({ id, level: "info", title, error: null, actions: [] });
    setTimeout(() => this.dismiss(id), INFO_MS);
  }

  dismiss(id: number): void {
    const i = this.list.findIndex((n) => n.id === id);
    if (i >= 0) this.list.splice(i, 1);
  }

  confirm(title: string, message: string, okLabel = "OK", danger = false): Promise<boolean> {
    this.confirmRequest?.resolve(false);
    return new Promise((resolve) => {
      this.confirmRequest = {
        title,
        message,
        okLabel,
        danger,
        resolve: (ok) => {
          this.confirmRequest = null;
          resolve(ok);
        },
      };
    });
  }
}
