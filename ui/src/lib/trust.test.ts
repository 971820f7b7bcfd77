// What the window says about trust: restricted mode's reasons (never trusted, or trusted as a
// clone of one origin that now has another), the status bar's words, and which trust the
// window can revoke.
import { describe, expect, it } from "vitest";
import { ROOT, trustState, untrusted } from "../test/fixtures";
import { RESTRICTIONS, restrictedHeadline, revocable, trustDetail, trustLabel, trustQuestion } from "./trust";

describe("restricted mode's wording", () => {
  it("says what is restricted: the sandbox's limits and the approval of packages", () => {
    expect(RESTRICTIONS).toContain("only in Prowl's sandbox");
    expect(RESTRICTIONS).toContain("no network");
    expect(RESTRICTIONS).toContain("no files outside the workspace");
    expect(RESTRICTIONS).toContain("none of your environment variables");
    expect(RESTRICTIONS).toContain("approve the exact list");
  });

  it("says a workspace nobody trusted is not trusted", () => {
    expect(restrictedHeadline(untrusted())).toBe("Restricted mode: this workspace is not trusted.");
  });

  it("names both origins when the folder was trusted as a clone of another", () => {
    const state = untrusted({ reason: { kind: "origin_changed", trusted: "https://github.com/acme/rules.git", now: "https://example.org/fork.git" } });
    expect(restrictedHeadline(state)).toBe(
      "Restricted mode: this folder was trusted as a clone of https://github.com/acme/rules.git, but its origin is now https://example.org/fork.git, so it is no longer trusted.",
    );
    const gone = untrusted({ reason: { kind: "origin_changed", trusted: "https://github.com/acme/rules.git", now: null } });
    expect(restrictedHeadline(gone)).toContain("but it has no origin any more");
  });
});

describe("the status bar's words", () => {
  it("labels the state and says why it is trusted", () => {
    expect(trustLabel(trustState())).toBe("Trusted");
    expect(trustLabel(untrusted())).toBe("Restricted");
    expect(trustDetail(trustState())).toBe("Trusted: you trusted this folder.");
    expect(trustDetail(trustState({ folder: "/home/u/src" }))).toContain("the folder /home/u/src, which holds this workspace, is trusted");
    expect(trustDetail(trustState({ reason: { kind: "demo" }, folder: null }))).toContain("demo");
    expect(trustDetail(trustState({ reason: { kind: "environment" }, folder: null }))).toContain("PROWL_TRUST=1");
    expect(trustDetail(untrusted())).toContain(RESTRICTIONS);
  });
});

describe("revoking", () => {
  it("is possible only for trust the user gave a folder", () => {
    expect(revocable(trustState())).toBe(true);
    expect(revocable(trustState({ reason: { kind: "demo" } }))).toBe(false);
    expect(revocable(trustState({ reason: { kind: "environment" } }))).toBe(false);
    expect(revocable(untrusted())).toBe(false);
  });
});

describe("the question before trusting", () => {
  it("says what trusting allows and that it is remembered for the folder and its origin", () => {
    const q = trustQuestion(untrusted());
    expect(q.message).toContain("install the Python packages this workspace declares without asking you first");
    expect(q.message).toContain("PROWL_SANDBOX=off");
    expect(q.message).toContain(`remembered for ${ROOT} and its git origin, if it has one`);
    expect(q.message).toContain("if the origin changes, Prowl stops trusting it");
  });
});
