//! Edits of a spec's `Tests` that change only the lines they must.
