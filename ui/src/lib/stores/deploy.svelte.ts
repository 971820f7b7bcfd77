// The Deploy view's state: the profiles and the one chosen (null: PAT's environment variables,
// else the default profile, as `prowl remote` picks), the connection check, the drift as a
// preview of the upload, the upload going on (its events as they come) and its outcome (the
// tests, the items sent, PAT's summary), the instance-only items chosen for deletion and the
// deletion (a dry run first, then the user's confirmation).
//
// Invariants: one operation that talks to the instance at a time per kind (check, preview,
// upload, delete); answers for another profile than the chosen one are dropped; a token is
// only ever sent (login) and never kept here; choosing another profile forgets what the last
// one showed.

import * as api from "../api";
import type { ShellError } from "../api";
import type { DeleteOutcome, DeployEvent, DeployOutcome, Drift, DriftView, RemoteConnection, RemoteView } from "../contract";
import { deletion, previewRows, type Effect, type PreviewRow } from "../deploy";
import type { Notices } from "./notices.svelte";

export class Deploy {
  view = $state.raw<RemoteView | null>(null);
  viewError = $state.raw<ShellError | null>(null);
  /** The chosen profile (null: the environment's instance, else the default profile). */
  profile = $state<string | null>(null);

  connection = $state.raw<RemoteConnection | null>(null);
  checking = $state(false);
  connectionError = $state.raw<ShellError | null>(null);

  drift = $state.raw<DriftView | null>(null);
  previewing = $state(false);
  driftError = $state.raw<ShellError | null>(null);
  /** The preview table's filters. */
  effects = $state<Effect[]>([]);
  query = $state("");

  uploading = $state(false);
  skipTests = $state(false);
  events = $state.raw<DeployEvent[]>([]);
  outcome = $state.raw<DeployOutcome | null>(null);
  /** The preview as it was when the last upload started: what it predicted for each item sent. */
  predicted = $state.raw<Drift | null>(null);
  uploadError = $state.raw<ShellError | null>(null);

  /** Instance-only rows chosen for deletion, by `kind/id`. */
  chosen = $state.raw<Set<string>>(new Set());
  deleting = $state(false);
  deleted = $state.raw<DeleteOutcome | null>(null);
  deleteError = $state.raw<ShellError | null>(null);

  rows = $derived<PreviewRow[]>(this.drift ? previewRows(this.drift.drift) : []);

  readonly #notices: Notices;
  /** Bumped when the profile changes: answers for an older one are dropped. */
  #generation = 0;

  constructor(notices: Notices) {
    this.#notices = notices;
  }

  /** The profile label the view shows (the environment's instance, or a profile's name). */
  get profileLabel(): string {
    return this.profile ?? (this.view?.from_environment ? "PANTHER_API_HOST" : (this.view?.profiles.find((p) => p.default)?.name ?? "none"));
  }

  /** Reads the profiles; keeps the chosen one if it still exists, else the default. */
  async load(): Promise<void> {
    try {
      const view = await api.remoteView();
      this.view = view;
      this.viewError = null;
      if (this.profile !== null && !view.profiles.some((p) => p.name === this.profile)) this.profile = null;
      if (this.profile === null && !view.from_environment) this.profile = view.profiles.find((p) => p.default)?.name ?? view.profiles[0]?.name ?? null;
    } catch (e) {
      this.viewError = api.toShellError(e);
    }
  }

  /** Chooses another profile; what the last one showed is forgotten. */
  choose(profile: string | null): void {
    if (profile === this.profile) return;
    this.profile = profile;
    this.#forget();
  }

  #forget(): void {
    ++this.#generation;
    this.connection = null;
    this.connectionError = null;
    this.drift = null;
    this.driftError = null;
    this.outcome = null;
    this.predicted = null;
    this.uploadError = null;
    this.events = [];
    this.chosen = new Set();
    this.deleted = null;
    this.deleteError = null;
    this.checking = false;
    this.previewing = false;
  }

  /** Keeps a profile (the token is checked against the instance first) and chooses it. */
  async login(profile: string, apiHost: string, token: string, makeDefault: boolean): Promise<boolean> {
    try {
      const connection = await api.remoteLogin(profile, apiHost, token, makeDefault);
      this.#notices.log("deploy", `Profile ${profile} saved: ${connection.url} (Panther ${connection.panther_version ?? "of an unknown version"}); its token is in the system keyring`);
      await this.load();
      this.choose(profile);
      this.connection = connection;
      return true;
    } catch (e) {
      this.#notices.fail(`Could not save the profile ${profile}`, e, "deploy");
      return false;
    }
  }

  /** Removes the chosen profile's token (and the profile with `forget`). */
  async logout(forget: boolean): Promise<void> {
    const profile = this.profile;
    if (profile === null) return;
    try {
      await api.remoteLogout(profile, forget);
      this.#notices.log("deploy", forget ? `Profile ${profile} and its token removed` : `The token of profile ${profile} removed from the keyring`);
      if (forget) this.profile = null;
      this.#forget();
      await this.load();
    } catch (e) {
      this.#notices.fail(`Could not remove the token of ${profile}`, e, "deploy");
    }
  }

  /** PAT's check-connection. */
  async check(): Promise<RemoteConnection | null> {
    if (this.checking) return null;
    const generation = this.#generation;
    this.checking = true;
    this.connectionError = null;
    try {
      const c = await api.remoteCheck(this.profile);
      if (generation !== this.#generation) return null;
      this.connection = c;
      return c;
    } catch (e) {
      if (generation !== this.#generation) return null;
      this.connection = null;
      this.connectionError = api.toShellError(e);
      return null;
    } finally {
      if (generation === this.#generation) this.checking = false;
    }
  }

  /** Reads what the instance has and compares it with the workspace. */
  async preview(): Promise<DriftView | null> {
    if (this.previewing) return null;
    const generation = this.#generation;
    this.previewing = true;
    this.driftError = null;
    try {
      const drift = await api.remoteDrift(this.profile);
      if (generation !== this.#generation) return null;
      this.drift = drift;
      this.chosen = new Set();
      return drift;
    } catch (e) {
      if (generation !== this.#generation) return null;
      this.driftError = api.toShellError(e);
      return null;
    } finally {
      if (generation === this.#generation) this.previewing = false;
    }
  }

  /** Tests, then uploads the workspace; the preview is read again afterwards. */
  async upload(): Promise<DeployOutcome | null> {
    if (this.uploading) return null;
    const generation = this.#generation;
    this.uploading = true;
    this.uploadError = null;
    this.outcome = null;
    this.events = [];
    this.predicted = this.drift?.drift ?? null;
    this.#notices.log("deploy", `Uploading to ${this.connection?.url ?? this.profileLabel}${this.skipTests ? " (tests skipped)" : ""}…`);
    try {
      const outcome = await api.remoteUpload(this.profile, this.skipTests, (e) => {
        if (generation === this.#generation) this.events = [...this.events, e];
      });
      if (generation !== this.#generation) return null;
      this.outcome = outcome;
      this.events = outcome.events.length >= this.events.length ? outcome.events : this.events;
      if (outcome.uploaded) {
        const total = outcome.uploaded.summary.kinds.reduce((n, [, c]) => n + c.total, 0);
        this.#notices.log("deploy", `Uploaded ${outcome.uploaded.items.length} items to ${outcome.url} (the instance counted ${total})`);
        void this.preview();
      } else {
        this.#notices.log("deploy", "Nothing was uploaded: " + (outcome.events.at(-1)?.text ?? "stopped before the upload"), "error");
      }
      return outcome;
    } catch (e) {
      if (generation !== this.#generation) return null;
      const err = api.toShellError(e);
      this.uploadError = err;
      this.#notices.log("deploy", `Upload failed: ${err.message}${err.hint ? ` — hint: ${err.hint}` : ""}`, "error");
      return null;
    } finally {
      if (generation === this.#generation) this.uploading = false;
    }
  }

  /** Chooses (or not) an instance-only row for deletion; managed items cannot be chosen. */
  toggle(row: PreviewRow): void {
    if (row.managed || row.effect !== "remote_only") return;
    const key = `${row.kind}/${row.id}`;
    const next = new Set(this.chosen);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    this.chosen = next;
  }

  isChosen(row: PreviewRow): boolean {
    return this.chosen.has(`${row.kind}/${row.id}`);
  }

  /**
   * Deletes the chosen rows: a dry run says what would go (linked saved queries and detections
   * included), the user confirms, then the deletion; the preview is read again afterwards.
   */
  async deleteChosen(): Promise<DeleteOutcome | null> {
    const rows = this.rows.filter((r) => this.isChosen(r));
    const { ids, queries } = deletion(rows);
    if (this.deleting || ids.length + queries.length === 0) return null;
    const generation = this.#generation;
    this.deleting = true;
    this.deleteError = null;
    this.deleted = null;
    try {
      const dry = await api.remoteDelete(this.profile, ids, queries, true);
      if (generation !== this.#generation) return null;
      const found = [...dry.detections.ids, ...dry.queries.queries];
      const linked = [...dry.detections.linked_queries.map((q) => `saved query ${q}`), ...dry.queries.linked_detections.map((d) => `detection ${d}`)];
      if (found.length === 0) {
        this.deleteError = new api.ShellError({ code: "remote.not_found", message: "The instance has none of the chosen items any more.", hint: "Refresh the preview.", location: null });
        return null;
      }
      const ok = await this.#notices.confirm(
        `Delete ${found.length} item${found.length === 1 ? "" : "s"} from the instance?`,
        `${found.join(", ")}${linked.length ? `, and linked to them: ${linked.join(", ")}` : ""}. This cannot be undone from Prowl.`,
        "Delete",
        true,
      );
      if (!ok || generation !== this.#generation) return null;
      const done = await api.remoteDelete(this.profile, ids, queries, false);
      if (generation !== this.#generation) return null;
      this.deleted = done;
      this.chosen = new Set();
      this.#notices.log("deploy", `Deleted ${done.detections.ids.length} detections and ${done.queries.queries.length} saved queries (with ${done.detections.linked_queries.length + done.queries.linked_detections.length} linked items)`);
      void this.preview();
      return done;
    } catch (e) {
      if (generation !== this.#generation) return null;
      this.deleteError = api.toShellError(e);
      return null;
    } finally {
      if (generation === this.#generation) this.deleting = false;
    }
  }

  clear(): void {
    this.#forget();
    this.view = null;
    this.profile = null;
  }
}
