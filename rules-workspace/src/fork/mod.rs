//! Git for the workspace (git2): status, diffs, stage, commit, branches, clone.
