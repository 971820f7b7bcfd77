// CodeMirror 6 set-up shared by every editor: the usual editing features, a theme whose
// colours are CSS variables (so light/dark is one attribute on <html>), the three languages,
// and completion of spec keys in YAML.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { python } from "@codemirror/lang-python";
import { yaml } from "@codemirror/lang-yaml";
import {
  HighlightStyle,
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintGutter, lintKeymap } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState, type Extension, type Text } from "@codemirror/state";
import type { Diagnostic as LintDiagnostic } from "@codemirror/lint";
import {
  Decoration,
  EditorView,
  crosshairCursor,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import type { FileLanguage } from "./paths";
import { specCompletions } from "./spec-completion";

export const editorTheme = EditorView.theme({
  "&": {
    height: "100%",
    fontSize: "var(--editor-font-size)",
    color: "var(--editor-fg)",
    backgroundColor: "var(--editor-bg)",
  },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--editor-cursor)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--editor-cursor)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection": {
    backgroundColor: "var(--editor-selection)",
  },
  ".cm-activeLine": { backgroundColor: "var(--editor-active-line)" },
  ".cm-line.cm-markedLine": { backgroundColor: "var(--editor-marked-line)", boxShadow: "inset 3px 0 0 var(--warning)" },
  ".cm-gutters": {
    backgroundColor: "var(--editor-bg)",
    color: "var(--editor-gutter-fg)",
    border: "none",
  },
  ".cm-activeLineGutter": { backgroundColor: "var(--editor-active-line)", color: "var(--fg)" },
  ".cm-foldPlaceholder": { backgroundColor: "var(--bg-subtle)", border: "1px solid var(--border)", color: "var(--fg-muted)" },
  ".cm-tooltip": {
    backgroundColor: "var(--bg-raised)",
    color: "var(--fg)",
    border: "1px solid var(--border)",
    boxShadow: "var(--shadow)",
  },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--list-active)", color: "var(--fg)" },
  ".cm-panels": { backgroundColor: "var(--bg-subtle)", color: "var(--fg)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-searchMatch": { backgroundColor: "var(--editor-search)", outline: "1px solid var(--editor-search-border)" },
  ".cm-searchMatch.cm-searchMatch-selected": { backgroundColor: "var(--editor-selection)" },
  ".cm-selectionMatch": { backgroundColor: "var(--editor-selection-match)" },
  ".cm-matchingBracket, &.cm-focused .cm-matchingBracket": { backgroundColor: "var(--editor-bracket)", outline: "none" },
  ".cm-diagnostic": { whiteSpace: "pre-wrap", fontFamily: "var(--font-ui)", padding: "4px 8px" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--error)" },
  ".cm-diagnostic-warning": { borderLeftColor: "var(--warning)" },
  ".cm-lintRange-error": { backgroundImage: "none", textDecoration: "underline wavy var(--error)", textUnderlineOffset: "3px" },
  ".cm-lintRange-warning": { backgroundImage: "none", textDecoration: "underline wavy var(--warning)", textUnderlineOffset: "3px" },
});

export const highlightStyle = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword], color: "var(--syn-keyword)" },
  { tag: [t.definitionKeyword, t.self, t.bool, t.null, t.atom], color: "var(--syn-constant)" },
  { tag: [t.string, t.special(t.string), t.docString], color: "var(--syn-string)" },
  { tag: [t.number, t.integer, t.float], color: "var(--syn-number)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--syn-comment)", fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName), t.function(t.definition(t.variableName))], color: "var(--syn-function)" },
  { tag: [t.definition(t.variableName), t.className, t.typeName], color: "var(--syn-type)" },
  { tag: [t.propertyName, t.attributeName], color: "var(--syn-property)" },
  { tag: [t.operator, t.punctuation, t.separator, t.bracket], color: "var(--syn-punctuation)" },
  { tag: [t.meta, t.annotation, t.processingInstruction], color: "var(--syn-meta)" },
  { tag: t.invalid, color: "var(--error)" },
]);

export function languageExtension(language: FileLanguage): Extension {
  switch (language) {
    case "python":
      return [python(), indentUnit.of("    ")];
    case "yaml":
      return [yaml(), indentUnit.of("  "), autocompletion({ override: [specCompletions] })];
    case "json":
      return [json(), indentUnit.of("  ")];
    default:
      return [];
  }
}

export interface EditorOptions {
  language: FileLanguage;
  /** Compact editors (the test event) have no fold gutter. */
  compact?: boolean;
  readOnly?: boolean;
  /** The theme compartment's initial content (dark or light base). */
  dark: boolean;
  themeCompartment: Compartment;
  extra?: Extension[];
}

export function editorExtensions(options: EditorOptions): Extension[] {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    options.compact ? [] : foldGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    syntaxHighlighting(highlightStyle),
    bracketMatching(),
    closeBrackets(),
    options.language === "yaml" ? [] : autocompletion(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    lintGutter(),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    languageExtension(options.language),
    editorTheme,
    options.themeCompartment.of(EditorView.darkTheme.of(options.dark)),
    EditorState.readOnly.of(!!options.readOnly),
    EditorView.editable.of(!options.readOnly),
    EditorView.contentAttributes.of({ spellcheck: "false", autocorrect: "off", autocapitalize: "off" }),
    ...(options.extra ?? []),
  ];
}

const markedLineDecoration = Decoration.line({ class: "cm-markedLine" });

/** Marks line `line` (1-based; a finding's line, shown read-only); nothing for null or a line past the end. */
export function markedLine(line: number | null): Extension {
  if (line === null || line < 1) return [];
  return EditorView.decorations.of((view) => {
    const doc = view.state.doc;
    if (line > doc.lines) return Decoration.none;
    return Decoration.set([markedLineDecoration.range(doc.line(line).from)]);
  });
}

/** What an editor calls back into its owner; kept apart from the state so a cached state can be re-attached. */
export interface EditorHooks {
  onchange: (text: string) => void;
  lint: ((doc: Text) => Promise<LintDiagnostic[]>) | null;
}

/** An editor's state kept while its view is not shown (tab switch): undo history, selection, scroll. */
export interface CachedEditor {
  state: EditorState;
  hooks: EditorHooks;
  themeCompartment: Compartment;
  /** Holds `markedLine(…)`. */
  markCompartment: Compartment;
  jumpSeq: number;
  scrollTop: number;
}

/** The smallest single replacement turning `before` into `after` (keeps the cursor and undo steps sensible). */
export function minimalChange(before: string, after: string): { from: number; to: number; insert: string } | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB--;
    endA--;
  }
  return { from: start, to: endB, insert: after.slice(start, endA) };
}
