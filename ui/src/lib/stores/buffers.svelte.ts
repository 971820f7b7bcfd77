// Open buffers: one per workspace file shown in any view (shared by every view showing it), with
// the text as typed, the text and stamp last read from or written to disk, a conflict with the
// disk when there is one, the diagnostics of the text as typed (validate_buffer), and the copies
// of unsaved text kept in the recovery folder.
//
// Invariants: a buffer is saved only with the stamp it was read with, so a file changed on disk
// in between is never overwritten unseen (`file.conflict` → a banner, the edits kept); `revision`
// changes whenever the text is replaced from outside the editor (reload, test edits, recovery),
// never when the user types; a buffer is dirty when loaded, readable and its text differs from
// the saved text; every unsaved buffer that changed since its last copy is copied to the recovery
// folder every RECOVERY_INTERVAL_MS, and its copy is removed once it is saved, reloaded or closed.

import * as api from "../api";
import { ShellError } from "../api";
import type { Diagnostic, TestEdit, WorkspaceChanged } from "../contract";
import type { CachedEditor } from "../editor";
import { normalize, relativeTo, resolve } from "../paths";
import type { Notices } from "./notices.svelte";
import type { OpenWorkspace } from "./workspace.svelte";

export interface BufferConflict {
  /** changed: the file changed on disk under unsaved edits; save_refused: save_file said file.conflict; deleted: gone from disk. */
  reason: "changed" | "save_refused" | "deleted";
  diskText: string | null;
  diskStamp: string | null;
}

export interface Buffer {
  path: string;
  text: string;
  /** The text as last read from or written to disk. */
  savedText: string;
  stamp: string | null;
  loaded: boolean;
  loadError: ShellError | null;
  /** Bumped whenever the text is replaced from outside the editor (reload, test edits, recovery). */
  revision: number;
  conflict: BufferConflict | null;
  /** A request to show a line; `seq` changes for every request. */
  jump: { line: number; col: number; seq: number } | null;
  saving: boolean;
  /** Text last sent to the recovery folder. */
  recoveryText: string | null;
}

const RECOVERY_INTERVAL_MS = 15_000;

function emptyBuffer(path: string): Buffer {
  return {
    path,
    text: "",
    savedText: "",
    stamp: null,
    loaded: false,
    loadError: null,
    revision: 0,
    conflict: null,
    jump: null,
    saving: false,
    recoveryText: null,
  };
}

export class OpenBuffers {
  byPath = $state<Record<string, Buffer>>({});
  /** Diagnostics of buffers as typed (validate_buffer), by path. */
  live = $state<Record<string, Diagnostic[]>>({});
  /** Editor states kept across tab switches (undo history, selection); not reactive on purpose. */
  readonly editorStates = new Map<string, CachedEditor>();

  readonly #notices: Notices;
  readonly #workspace: OpenWorkspace;
  #seq = 0;
  #recoveryTimer: ReturnType<typeof setInterval> | null = null;

  constructor(notices: Notices, workspace: OpenWorkspace) {
    this.#notices = notices;
    this.#workspace = workspace;
  }

  get(path: string): Buffer | undefined {
    return this.byPath[path];
  }

  #rel(path: string): string {
    return relativeTo(this.#workspace.root, path) ?? path;
  }

  /** The buffer of `path`, read from disk the first time. */
  async ensure(path: string): Promise<Buffer> {
    const existing = this.byPath[path];
    if (existing) return existing;
    this.byPath[path] = emptyBuffer(path);
    try {
      const file = await api.readFile(path);
      const b = this.byPath[path];
      if (b) {
        b.text = file.text;
        b.savedText = file.text;
        b.stamp = file.stamp;
        b.loaded = true;
        b.revision++;
      }
    } catch (e) {
      const b = this.byPath[path];
      if (b) {
        b.loadError = api.toShellError(e);
        b.loaded = true;
      }
    }
    return this.byPath[path];
  }

  isDirty(path: string): boolean {
    const b = this.byPath[path];
    return !!b && b.loaded && !b.loadError && b.text !== b.savedText;
  }

  dirtyPaths(): string[] {
    return Object.keys(this.byPath).filter((p) => this.isDirty(p));
  }

  /** The editor reports what the user typed. */
  setText(path: string, text: string): void {
    const b = this.byPath[path];
    if (b) b.text = text;
  }

  /** Replaces a buffer's text from outside its editor (test edits, reload, recovery). */
  replaceText(path: string, text: string): void {
    const b = this.byPath[path];
    if (!b) return;
    b.text = text;
    b.revision++;
  }

  /** Asks the editor of `path` to show a line (loading the buffer first if needed). */
  jump(path: string, line: number, col = 1): void {
    const b = this.byPath[path];
    if (b) b.jump = { line, col, seq: ++this.#seq };
    else {
      void this.ensure(path).then(() => {
        const loaded = this.byPath[path];
        if (loaded) loaded.jump = { line, col, seq: ++this.#seq };
      });
    }
  }

  /** Validates the buffer as typed; the diagnostics show inline and in the Problems panel. */
  async validate(path: string, text: string): Promise<Diagnostic[]> {
    if (!this.#workspace.view) return [];
    try {
      const diagnostics = await api.validateBuffer(path, text);
      if (this.byPath[path]) this.live[path] = diagnostics;
      return diagnostics;
    } catch (e) {
      const err = api.toShellError(e);
      if (err.code !== "shell.unavailable") this.#notices.log("workspace", `Validation of ${this.#rel(path)} failed: ${err.message}`, "error");
      return [];
    }
  }

  /** Saves one buffer through save_file with its stamp. Returns whether it is saved. */
  async save(path: string): Promise<boolean> {
    const b = this.byPath[path];
    if (!b || !b.loaded || b.loadError) return false;
    if (!this.isDirty(path) && !b.conflict) return true;
    if (b.saving) return false;
    const text = b.text;
    const rel = this.#rel(path);
    b.saving = true;
    try {
      const { stamp } = await api.saveFile(path, text, b.stamp);
      b.stamp = stamp;
      b.savedText = text;
      b.conflict = null;
      this.#dropRecoveryCopy(path);
      this.#notices.log("workspace", `Saved ${rel}`);
      void this.#workspace.refreshGit();
      return true;
    } catch (e) {
      const err = api.toShellError(e);
      if (err.code === "file.conflict") {
        await this.#markConflict(path, "save_refused");
        this.#notices.show(
          `Not saved: ${rel} changed on disk`,
          new ShellError({
            code: "file.conflict",
            message: `${rel} was changed on disk (by another editor or git) since Prowl read it, so saving would overwrite that change.`,
            hint: "Compare in the banner above the editor, then reload the disk version or keep yours and save again.",
            location: { file: path, line: null, column: null },
          }),
        );
        this.#notices.log("workspace", `Save of ${rel} refused: the file changed on disk since it was read`, "error");
      } else {
        this.#notices.fail(`Could not save ${rel}`, err, "workspace");
      }
      return false;
    } finally {
      const after = this.byPath[path];
      if (after) after.saving = false;
    }
  }

  /** Saves the dirty ones of `paths` one after another; returns whether all are saved. */
  async saveAll(paths: string[]): Promise<boolean> {
    let ok = true;
    for (const p of paths) {
      if (this.isDirty(p)) ok = (await this.save(p)) && ok;
    }
    return ok;
  }

  async #markConflict(path: string, reason: BufferConflict["reason"]): Promise<void> {
    try {
      const disk = await api.readFile(path);
      const b = this.byPath[path];
      if (b) b.conflict = { reason, diskText: disk.text, diskStamp: disk.stamp };
    } catch (e) {
      const b = this.byPath[path];
      if (!b) return;
      if (api.toShellError(e).code === "file.not_found") b.conflict = { reason: "deleted", diskText: null, diskStamp: null };
      else this.#notices.fail("Could not read the file on disk", e, "workspace");
    }
  }

  /** Takes the disk version into the buffer (banner: Reload). */
  reloadFromDisk(path: string): void {
    const b = this.byPath[path];
    if (!b?.conflict) return;
    if (b.conflict.reason === "deleted") return;
    b.text = b.conflict.diskText ?? "";
    b.savedText = b.text;
    b.stamp = b.conflict.diskStamp;
    b.conflict = null;
    b.revision++;
    this.#dropRecoveryCopy(path);
    this.#notices.log("workspace", `Reloaded ${this.#rel(path)} from disk`);
  }

  /** Keeps the buffer; the next save overwrites the disk version the user has now seen (banner: Keep). */
  keepMine(path: string): void {
    const b = this.byPath[path];
    if (!b?.conflict) return;
    b.savedText = b.conflict.diskText ?? "";
    b.stamp = b.conflict.diskStamp;
    b.conflict = null;
  }

  /**
   * Files changed on disk (`workspace://changed`, after the view is re-read): clean buffers take
   * the disk text silently, dirty ones keep theirs and show a conflict.
   */
  async onDiskChanged(change: WorkspaceChanged): Promise<void> {
    const root = this.#workspace.root;
    const changed = change.paths.map((p) => resolve(root, p));
    const open = Object.keys(this.byPath).filter(
      (p) => changed.length === 0 || changed.some((c) => normalize(c) === resolve(root, p)),
    );
    for (const path of open) {
      const b = this.byPath[path];
      if (!b || !b.loaded || b.saving) continue;
      try {
        const disk = await api.readFile(path);
        const cur = this.byPath[path];
        if (!cur) continue;
        if (disk.text === cur.savedText || disk.text === cur.text) {
          // Our own save, or nothing that differs from what we hold.
          if (disk.text === cur.text) cur.savedText = disk.text;
          cur.stamp = disk.stamp;
          if (disk.text === cur.text) cur.conflict = null;
          continue;
        }
        if (!this.isDirty(path)) {
          cur.text = disk.text;
          cur.savedText = disk.text;
          cur.stamp = disk.stamp;
          cur.loadError = null;
          cur.conflict = null;
          cur.revision++;
          this.#notices.log("workspace", `Reloaded ${this.#rel(path)}: it changed on disk`);
        } else {
          cur.conflict = { reason: "changed", diskText: disk.text, diskStamp: disk.stamp };
          this.#notices.log("workspace", `${this.#rel(path)} changed on disk while it has unsaved edits`);
        }
      } catch (e) {
        const cur = this.byPath[path];
        if (cur && api.toShellError(e).code === "file.not_found") {
          cur.conflict = { reason: "deleted", diskText: null, diskStamp: null };
          this.#notices.log("workspace", `${this.#rel(path)} was deleted on disk`);
        }
      }
    }
  }

  /** Applies test edits to the spec buffer one after another; returns whether all applied. */
  async editTests(specPath: string, edits: TestEdit[]): Promise<boolean> {
    const b = this.byPath[specPath];
    if (!b || !b.loaded) return false;
    let text = b.text;
    try {
      for (const edit of edits) text = (await api.editTests(text, edit)).text;
    } catch (e) {
      this.#notices.fail("Could not edit the tests", e, "workspace");
      return false;
    }
    this.replaceText(specPath, text);
    return true;
  }

  /**
   * Puts recovered text into the buffer of `path` as unsaved changes; a file that is gone
   * becomes a new one (saved with stamp null). Returns whether the text is in.
   */
  async restore(path: string, text: string): Promise<boolean> {
    const b = await this.ensure(path);
    if (b.loadError && b.loadError.code !== "file.not_found") {
      this.#notices.fail("Could not open the file to restore", b.loadError);
      return false;
    }
    if (b.loadError) {
      b.loadError = null;
      b.savedText = "";
      b.stamp = null;
    }
    this.replaceText(path, text);
    return true;
  }

  /** Forgets the buffers of `paths` (their tabs closed); unsaved text is thrown away. */
  close(paths: string[]): void {
    for (const p of paths) {
      if (this.isDirty(p)) void api.recoveryClear(p).catch(() => {});
      delete this.byPath[p];
      delete this.live[p];
      this.editorStates.delete(p);
    }
  }

  /** Forgets every buffer (the workspace was left or another one entered). */
  clear(): void {
    this.byPath = {};
    this.live = {};
    this.editorStates.clear();
  }

  // ---- Recovery copies -------------------------------------------------------------------

  startRecoveryCopies(): void {
    this.stopRecoveryCopies();
    this.#recoveryTimer = setInterval(() => void this.copyToRecovery(), RECOVERY_INTERVAL_MS);
  }

  stopRecoveryCopies(): void {
    if (this.#recoveryTimer) clearInterval(this.#recoveryTimer);
    this.#recoveryTimer = null;
  }

  /** Sends every unsaved buffer that changed since its last copy to the recovery folder. */
  async copyToRecovery(): Promise<void> {
    for (const path of this.dirtyPaths()) {
      const b = this.byPath[path];
      if (!b || b.recoveryText === b.text) continue;
      const text = b.text;
      try {
        await api.recoverySave(path, text);
        const cur = this.byPath[path];
        if (cur) cur.recoveryText = text;
      } catch (e) {
        this.#notices.log("app", `Could not keep a recovery copy of ${this.#rel(path)}: ${api.toShellError(e).message}`, "error");
      }
    }
  }

  #dropRecoveryCopy(path: string): void {
    const b = this.byPath[path];
    if (b) b.recoveryText = null;
    void api.recoveryClear(path).catch(() => {});
  }
}
