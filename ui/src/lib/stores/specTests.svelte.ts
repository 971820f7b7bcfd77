// The unit tests of one spec buffer, as the core reads its text (list_tests: PAT's YAML dialect,
// so `ExpectedResult: yes` is the string "yes", not true). The window does not parse YAML itself.
// One per test editor; it follows the buffer's text.
//
// Invariants: text typed in the editor is sent once typing pauses (DEBOUNCE_MS), text replaced
// from outside (a test edit, a reload: the buffer's revision changed) and the first text at once;
// answers can arrive out of order, and one for an older text than the newest answer shown is
// dropped, so the list never goes back in time. `stale` says the answer shown is not for the
// buffer's current text yet: its test indices may not match that text, so edits by index wait
// for `settled()`.

import * as api from "../api";
import type { ShellError } from "../api";
import type { SpecTest } from "../contract";
import { debounce } from "../debounce";

export const DEBOUNCE_MS = 150;

export type SpecTestsAnswer =
  | { text: string; ok: true; tests: SpecTest[] }
  | { text: string; ok: false; error: ShellError };

export class SpecTestList {
  /** The newest answer: for which text, the tests or why there are none. */
  answer = $state.raw<SpecTestsAnswer | null>(null);
  /** The text the list should describe (the buffer's newest). */
  wanted = $state<string | null>(null);
  stale = $derived(this.answer === null || this.answer.text !== this.wanted);
  tests = $derived(this.answer?.ok ? this.answer.tests : []);

  #revision: number | null = null;
  /** Callers of settled() waiting for the next answer. */
  #waiting: (() => void)[] = [];
  #sent = 0;
  #shown = 0;
  readonly #later = debounce((text: string) => void this.#ask(text), DEBOUNCE_MS);

  /** The buffer's text changed; `revision` is the buffer's (it changes when text is replaced from outside). */
  update(text: string, revision: number): void {
    const replaced = revision !== this.#revision;
    this.#revision = revision;
    if (text === this.wanted) return;
    this.wanted = text;
    if (replaced || this.answer === null) {
      this.#later.cancel();
      void this.#ask(text);
    } else {
      this.#later(text);
    }
  }

  async #ask(text: string): Promise<void> {
    const seq = ++this.#sent;
    let answer: SpecTestsAnswer;
    try {
      answer = { text, ok: true, tests: await api.listTests(text) };
    } catch (e) {
      answer = { text, ok: false, error: api.toShellError(e) };
    }
    // An answer to a later request is already shown: this one describes an older text.
    if (seq > this.#shown) {
      this.#shown = seq;
      this.answer = answer;
    }
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /**
   * The answer for the newest text, once it is in (text still waiting for typing to pause is
   * sent now). Edits by test index wait for it, so they never address an older list.
   */
  async settled(): Promise<SpecTestsAnswer | null> {
    this.#later.flush();
    while (this.wanted !== null && this.stale) {
      await new Promise<void>((wake) => this.#waiting.push(wake));
    }
    return this.answer;
  }

  /** Stops a pending request (the editor closed). */
  dispose(): void {
    this.#later.cancel();
  }
}
