//! Upstream merge: bring a new release of the content repository a fork was made from into the
//! fork, item by item, without losing local tuning.
//!
//! `upstream` is a git remote of the fork (any content repository, https or a local path). The
//! merge base of the fork's HEAD and the chosen target (a branch, a tag, a commit) is git's.
//! Every analysis item of the three commits is matched by its ID, so moves and renames of
//! files are followed, and classified ([`ChangeClass`]); specs merge by top-level key with
//! element merges for lists ([`yaml`]), code by lines with a second look at functions both
//! sides changed ([`text`]); other files merge as files. [`plan::plan`] computes all of it
//! without writing; [`Upstream::merge`] writes the result into the working tree and keeps the
//! merge's state in `.git/prowl-upstream/`, where [`Upstream::resolve`], [`Upstream::commit`]
//! and [`Upstream::abort`] find it (also after a crash).
//!
//! Invariants (the house rule "git operations never lose work"):
//! - A merge starts only on a clean working tree (or stashes the changes, saying so), and
//!   never while git itself is merging or rebasing.
//! - The state is written before the first file, so an interrupted write can be resumed or
//!   aborted; every file is written atomically and only if it is still what the merge expects.
//! - Abort restores every file the merge wrote from HEAD, and keeps a copy of any the user had
//!   edited since (`.git/prowl-upstream/aborted/`).
//! - The commit has two parents (the fork's HEAD, upstream's target); the pre-merge commit stays
//!   reachable (`refs/prowl/upstream/pre-merge`) and [`Upstream::undo`] returns to it.

pub mod check;
pub mod plan;
pub mod snapshot;
pub mod text;
pub mod yaml;

pub use plan::{
    ChangeClass, Decision, DecisionKind, FileChange, ItemChange, ItemTexts, Outcome, Plan,
    Resolution, Resolutions, ThreeWay,
};
pub use yaml::{KeyConflict, Take};

use crate::workspace::save::{self, SaveError};
use git2::{
    AutotagOption, FetchOptions, Oid, RemoteCallbacks, Repository, RepositoryState, ResetType,
    Signature, StatusOptions,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The remote's usual name.
pub const DEFAULT_REMOTE: &str = "upstream";

/// Where the merge keeps its state, inside `.git`.
const STATE_DIR: &str = "prowl-upstream";
/// The commit before the merge (kept after the merge commit, for undo).
pub const PRE_MERGE_REF: &str = "refs/prowl/upstream/pre-merge";
/// A merge commit that was undone (still reachable).
pub const UNDONE_REF: &str = "refs/prowl/upstream/undone";

/// Why an upstream operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The folder is not in a git repository.
    #[error("{path} is not in a git repository")]
    NotARepository {
        /// The folder.
        path: PathBuf,
    },
    /// The repository is bare.
    #[error("the repository has no working tree")]
    Bare,
    /// No such remote.
    #[error("the fork has no remote `{remote}`")]
    NoRemote {
        /// Its name.
        remote: String,
    },
    /// Fetching failed.
    #[error("fetching `{remote}` failed: {message}")]
    Fetch {
        /// The remote.
        remote: String,
        /// libgit2's message.
        message: String,
    },
    /// The target names nothing.
    #[error("`{target}` is neither a branch of `{remote}`, a tag nor a commit")]
    UnknownTarget {
        /// What the user named.
        target: String,
        /// The remote.
        remote: String,
    },
    /// No common history.
    #[error("the fork and {target} have no common history")]
    Unrelated {
        /// The target.
        target: String,
    },
    /// The target holds no analysis items.
    #[error("{target} is not a content repository: it has no analysis items (YAML specs with an AnalysisType under rules/, policies/, …)")]
    NotContent {
        /// The target.
        target: String,
    },
    /// Uncommitted changes.
    #[error("the working tree has uncommitted changes: {}", list(paths))]
    Dirty {
        /// Some of the changed paths.
        paths: Vec<String>,
    },
    /// git is in the middle of something.
    #[error("git is in the middle of a {0}")]
    GitBusy(String),
    /// A merge is already in progress.
    #[error("an upstream merge of {target} is in progress")]
    InProgress {
        /// Its target.
        target: String,
    },
    /// No merge in progress.
    #[error("no upstream merge is in progress")]
    NoMerge,
    /// Questions are open.
    #[error(
        "{open} item(s) still need a decision or have conflicts: {}",
        list(ids)
    )]
    Unresolved {
        /// How many.
        open: usize,
        /// Some of them.
        ids: Vec<String>,
    },
    /// Conflict markers left in files.
    #[error("conflict markers are still in: {}", list(paths))]
    Markers {
        /// The files.
        paths: Vec<String>,
    },
    /// No such item or file in the merge.
    #[error("`{0}` is neither an item nor a file this merge changes")]
    UnknownItem(String),
    /// A resolution that does not fit.
    #[error("{0}")]
    BadResolution(String),
    /// Nothing to undo.
    #[error("there is no upstream merge commit to undo")]
    NothingToUndo,
    /// The branch moved on since the merge.
    #[error("HEAD is no longer the merge commit {merge}: commits were made after it")]
    MovedOn {
        /// The merge commit.
        merge: String,
    },
    /// Already merged.
    #[error("the fork already contains {target}")]
    UpToDate {
        /// The target.
        target: String,
    },
    /// Writing a file.
    #[error(transparent)]
    Save(#[from] SaveError),
    /// The state file.
    #[error("{path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// git.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(8).map(String::as_str).collect();
    if items.len() > shown.len() {
        format!(
            "{} and {} more",
            shown.join(", "),
            items.len() - shown.len()
        )
    } else {
        shown.join(", ")
    }
}

impl From<plan::PlanError> for UpstreamError {
    fn from(e: plan::PlanError) -> Self {
        match e {
            plan::PlanError::Git(g) => UpstreamError::Git(g),
        }
    }
}

impl crate::error::UserError for UpstreamError {
    fn family(&self) -> &'static str {
        "upstream"
    }

    fn name(&self) -> &'static str {
        match self {
            UpstreamError::NotARepository { .. } => "not_a_repository",
            UpstreamError::Bare => "bare",
            UpstreamError::NoRemote { .. } => "no_remote",
            UpstreamError::Fetch { .. } => "fetch",
            UpstreamError::UnknownTarget { .. } => "unknown_target",
            UpstreamError::Unrelated { .. } => "unrelated",
            UpstreamError::NotContent { .. } => "not_content",
            UpstreamError::Dirty { .. } => "dirty",
            UpstreamError::GitBusy(_) => "git_busy",
            UpstreamError::InProgress { .. } => "in_progress",
            UpstreamError::NoMerge => "no_merge",
            UpstreamError::Unresolved { .. } => "unresolved",
            UpstreamError::Markers { .. } => "markers",
            UpstreamError::UnknownItem(_) => "unknown_item",
            UpstreamError::BadResolution(_) => "bad_resolution",
            UpstreamError::NothingToUndo => "nothing_to_undo",
            UpstreamError::MovedOn { .. } => "moved_on",
            UpstreamError::UpToDate { .. } => "up_to_date",
            UpstreamError::Save(_) => "save",
            UpstreamError::State { .. } => "state",
            UpstreamError::Git(_) => "git",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            UpstreamError::NoRemote { remote } => format!(
                "add it: `prowl upstream remote URL` (or `git remote add {remote} URL`), then `prowl upstream fetch`"
            ),
            UpstreamError::UnknownTarget { remote, .. } => format!(
                "fetch first (`prowl upstream fetch --remote {remote}`), then name a branch (main), a tag (v3.97.0) or a commit"
            ),
            UpstreamError::Unrelated { .. } => "the remote is not the repository this fork was made from: check `prowl upstream remote`".into(),
            UpstreamError::NotContent { .. } => "point the remote at panther-analysis or another content repository".into(),
            UpstreamError::Dirty { .. } => "commit or stash your changes first, or run the merge with --stash (Prowl stashes them and gives them back at the end)".into(),
            UpstreamError::GitBusy(_) => "finish or abort it with git first".into(),
            UpstreamError::InProgress { .. } => "resolve the open items (`prowl upstream status`), then `prowl upstream commit`; or `prowl upstream abort`".into(),
            UpstreamError::NoMerge => "start one with `prowl upstream merge`".into(),
            UpstreamError::Unresolved { .. } => "`prowl upstream status` lists them; `prowl upstream resolve ID --take ours|theirs|both` (or --key KEY=ours) answers one".into(),
            UpstreamError::Markers { .. } => "edit the files to keep what you want and remove the <<<<<<< ======= >>>>>>> lines, or `prowl upstream resolve ID --take ours|theirs`".into(),
            UpstreamError::UnknownItem(_) => "`prowl upstream status --all` lists every item and file of the merge".into(),
            UpstreamError::MovedOn { merge } => format!("undo it with a new commit instead: `git revert -m 1 {merge}`"),
            UpstreamError::Save(SaveError::Conflict { .. }) => "a file changed while the merge wrote it: `prowl upstream abort`, then start again".into(),
            _ => return None,
        })
    }
}

/// A fetch's progress.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamFetchProgress")]
pub struct FetchProgress {
    /// Objects received.
    pub received_objects: usize,
    /// Objects in the pack.
    pub total_objects: usize,
    /// Bytes received.
    pub received_bytes: usize,
}

/// What a fetch brought.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamFetched")]
pub struct Fetched {
    /// The remote.
    pub remote: String,
    /// Its URL (credentials removed).
    pub url: String,
    /// Its default branch's commit after the fetch, when known.
    pub head: Option<String>,
    /// Tags that look like releases, newest first (at most 20).
    pub releases: Vec<String>,
    /// Objects received.
    pub received_objects: usize,
}

/// The commit to merge.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "UpstreamTarget")]
pub struct Target {
    /// As the user named it (or the remote's default branch).
    pub label: String,
    /// The commit.
    pub commit: String,
}

/// The merge's phase, in its state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Files are being written (an interruption here is resumed or aborted).
    Writing,
    /// The merged tree is in the working tree, waiting for decisions and the commit.
    Written,
}

/// What `.git/prowl-upstream/state.json` holds while a merge is in progress.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MergeState {
    /// Format version.
    pub version: u32,
    /// The remote.
    pub remote: String,
    /// The target.
    pub target: Target,
    /// The merge base.
    pub base: String,
    /// The fork's HEAD when the merge started.
    pub head: String,
    /// The branch HEAD was on.
    pub branch: Option<String>,
    /// Where the merge is.
    pub phase: Phase,
    /// The stash made for the merge (given back at commit or abort).
    pub stash: Option<String>,
    /// The user's choices so far.
    pub resolutions: Resolutions,
    /// Every file the merge writes: path → stamp written (or `absent` for a deletion).
    pub written: BTreeMap<String, String>,
}

/// What `.git/prowl-upstream/last.json` keeps after a merge commit, for undo.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LastMerge {
    /// The merge commit.
    pub merge: String,
    /// The commit before it.
    pub pre_merge: String,
    /// What was merged.
    pub target: Target,
}

/// How to start a merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Stash uncommitted changes instead of refusing.
    pub stash: bool,
}

/// A merge written into the working tree.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamStarted")]
pub struct Started {
    /// What was merged.
    pub target: Target,
    /// The plan written.
    pub plan: Plan,
    /// The stash made (its commit).
    pub stashed: Option<String>,
    /// The merge resumed an interrupted write.
    pub resumed: bool,
}

/// A merge commit made.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamCommitted")]
pub struct Committed {
    /// The merge commit.
    pub commit: String,
    /// The commit before it (`prowl upstream undo` goes back to it).
    pub pre_merge: String,
    /// Files in the commit's change.
    pub files: usize,
    /// A stash given back, or why not.
    pub stash_note: Option<String>,
}

/// An aborted merge.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamAborted")]
pub struct Aborted {
    /// Files restored from HEAD.
    pub restored: usize,
    /// Files the user had edited during the merge, kept as copies (path of the copy).
    pub kept: Vec<String>,
    /// A stash given back, or why not.
    pub stash_note: Option<String>,
}

/// An undone merge commit.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamUndone")]
pub struct Undone {
    /// The merge commit (still reachable from `refs/prowl/upstream/undone`).
    pub merge: String,
    /// HEAD now.
    pub head: String,
}

/// The fork's repository, for upstream merges.
pub struct Upstream {
    repo: Repository,
    workdir: PathBuf,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Opens the repository holding `path`.
    pub fn open(path: &Path) -> Result<Upstream, UpstreamError> {
        let repo = Repository::discover(path).map_err(|_| UpstreamError::NotARepository {
            path: path.to_path_buf(),
        })?;
        let workdir = repo
            .workdir()
            .ok_or(UpstreamError::Bare)?
            .canonicalize()
            .map_err(|_| UpstreamError::Bare)?;
        Ok(Upstream { repo, workdir })
    }

    /// The working tree's root.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The remote's URL (credentials removed), when it exists.
    pub fn remote_url(&self, remote: &str) -> Option<String> {
        let r = self.repo.find_remote(remote).ok()?;
        r.url().ok().map(crate::fork::without_credentials)
    }

    /// Adds the remote, or points it at `url`.
    pub fn set_remote(&self, remote: &str, url: &str) -> Result<(), UpstreamError> {
        if self.repo.find_remote(remote).is_ok() {
            self.repo.remote_set_url(remote, url)?;
        } else {
            self.repo.remote(remote, url)?;
        }
        Ok(())
    }

    /// Fetches the remote's branches and tags, reporting progress (return false to cancel).
    pub fn fetch(
        &self,
        remote: &str,
        progress: &mut dyn FnMut(FetchProgress) -> bool,
    ) -> Result<Fetched, UpstreamError> {
        let mut r = self
            .repo
            .find_remote(remote)
            .map_err(|_| UpstreamError::NoRemote {
                remote: remote.to_owned(),
            })?;
        let mut received = 0;
        {
            let mut callbacks = RemoteCallbacks::new();
            callbacks.transfer_progress(|p| {
                received = p.received_objects();
                progress(FetchProgress {
                    received_objects: p.received_objects(),
                    total_objects: p.total_objects(),
                    received_bytes: p.received_bytes(),
                })
            });
            let mut opts = FetchOptions::new();
            opts.remote_callbacks(callbacks)
                .download_tags(AutotagOption::All);
            let refspecs: [&str; 0] = [];
            r.fetch(&refspecs, Some(&mut opts), None)
                .map_err(|e| UpstreamError::Fetch {
                    remote: remote.to_owned(),
                    message: e.message().to_owned(),
                })?;
        }
        let head = self.default_target(remote).ok().map(|t| t.commit);
        Ok(Fetched {
            remote: remote.to_owned(),
            url: r
                .url()
                .ok()
                .map(crate::fork::without_credentials)
                .unwrap_or_default(),
            head,
            releases: self.releases(),
            received_objects: received,
        })
    }

    /// Tags that look like releases (`v1.2.3`), newest version first.
    pub fn releases(&self) -> Vec<String> {
        let mut tags: Vec<(Vec<u64>, String)> = self
            .repo
            .tag_names(None)
            .map(|names| {
                names
                    .iter()
                    .flatten()
                    .flatten()
                    .filter_map(|n| {
                        let v: Option<Vec<u64>> = n
                            .trim_start_matches('v')
                            .split('.')
                            .map(|p| p.parse().ok())
                            .collect();
                        v.map(|v| (v, n.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        tags.sort_by(|a, b| b.0.cmp(&a.0));
        tags.into_iter().take(20).map(|(_, n)| n).collect()
    }

    fn default_target(&self, remote: &str) -> Result<Target, UpstreamError> {
        for name in ["HEAD", "main", "master"] {
            let refname = format!("refs/remotes/{remote}/{name}");
            if let Ok(r) = self.repo.find_reference(&refname) {
                if let Ok(c) = r.resolve().and_then(|r| r.peel_to_commit()) {
                    let label = match r.symbolic_target().ok().flatten() {
                        Some(t) => t.trim_start_matches("refs/remotes/").to_owned(),
                        None => format!("{remote}/{name}"),
                    };
                    return Ok(Target {
                        label,
                        commit: c.id().to_string(),
                    });
                }
            }
        }
        Err(UpstreamError::UnknownTarget {
            target: format!("{remote}/main"),
            remote: remote.to_owned(),
        })
    }

    /// The commit `target` names: a branch of the remote, a tag, or anything git resolves;
    /// the remote's default branch when `None`.
    pub fn target(&self, remote: &str, target: Option<&str>) -> Result<Target, UpstreamError> {
        let Some(t) = target else {
            if self.repo.find_remote(remote).is_err() {
                return Err(UpstreamError::NoRemote {
                    remote: remote.to_owned(),
                });
            }
            return self.default_target(remote);
        };
        let candidates = [
            format!("refs/remotes/{remote}/{t}"),
            format!("refs/tags/{t}"),
            t.to_owned(),
        ];
        for c in &candidates {
            if let Ok(obj) = self.repo.revparse_single(c) {
                if let Ok(commit) = obj.peel_to_commit() {
                    return Ok(Target {
                        label: t.to_owned(),
                        commit: commit.id().to_string(),
                    });
                }
            }
        }
        Err(UpstreamError::UnknownTarget {
            target: t.to_owned(),
            remote: remote.to_owned(),
        })
    }

    fn head(&self) -> Result<Oid, UpstreamError> {
        Ok(self.repo.head()?.peel_to_commit()?.id())
    }

    /// The merge base of HEAD and `target`.
    fn base(&self, target: &Target) -> Result<Oid, UpstreamError> {
        let theirs = Oid::from_str(&target.commit)?;
        self.repo
            .merge_base(self.head()?, theirs)
            .map_err(|_| UpstreamError::Unrelated {
                target: target.label.clone(),
            })
    }

    /// The plan of merging `target` into HEAD, with `resolutions` applied; nothing is written.
    pub fn plan(&self, target: &Target, resolutions: &Resolutions) -> Result<Plan, UpstreamError> {
        let theirs = Oid::from_str(&target.commit)?;
        let base = self.base(target)?;
        let plan = plan::plan(&self.repo, base, self.head()?, theirs, resolutions)?;
        let upstream_items = plan.items.iter().any(|i| i.theirs_path.is_some());
        if !upstream_items {
            return Err(UpstreamError::NotContent {
                target: target.label.clone(),
            });
        }
        Ok(plan)
    }

    /// The plan of the merge in progress (its choices applied), or of merging `target`.
    pub fn status(
        &self,
        remote: &str,
        target: Option<&str>,
    ) -> Result<(Plan, Option<MergeState>), UpstreamError> {
        if let Some(state) = self.state()? {
            let plan = self.plan_from(&state)?;
            return Ok((plan, Some(state)));
        }
        let target = self.target(remote, target)?;
        Ok((self.plan(&target, &Resolutions::default())?, None))
    }

    fn plan_from(&self, state: &MergeState) -> Result<Plan, UpstreamError> {
        let theirs = Oid::from_str(&state.target.commit)?;
        let base = Oid::from_str(&state.base)?;
        let head = Oid::from_str(&state.head)?;
        Ok(plan::plan(
            &self.repo,
            base,
            head,
            theirs,
            &state.resolutions,
        )?)
    }

    fn state_dir(&self) -> PathBuf {
        self.repo.path().join(STATE_DIR)
    }

    /// The merge in progress, if any.
    pub fn state(&self) -> Result<Option<MergeState>, UpstreamError> {
        let path = self.state_dir().join("state.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| UpstreamError::State {
                    path,
                    message: format!("unreadable ({e}); `prowl upstream abort` cannot use it: restore the files with `git checkout HEAD -- .` and delete this file"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(UpstreamError::State {
                path,
                message: e.to_string(),
            }),
        }
    }

    fn save_state(&self, state: &MergeState) -> Result<(), UpstreamError> {
        self.save_json("state.json", state)
    }

    fn save_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), UpstreamError> {
        let dir = self.state_dir();
        std::fs::create_dir_all(&dir).map_err(|e| UpstreamError::State {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(value).expect("state serialises");
        save::save_text(
            &path,
            &text,
            &save::stamp_on_disk(&path).unwrap_or_else(|_| save::ABSENT.into()),
        )?;
        Ok(())
    }

    fn remove_json(&self, name: &str) {
        let _ = std::fs::remove_file(self.state_dir().join(name));
    }

    /// Tracked changes, and untracked files at the given paths.
    fn dirty_paths(
        &self,
        will_write: &BTreeMap<String, Option<Vec<u8>>>,
    ) -> Result<Vec<String>, UpstreamError> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self.repo.statuses(Some(&mut opts))?;
        let mut out = Vec::new();
        for s in statuses.iter() {
            let Ok(path) = s.path() else { continue };
            let st = s.status();
            if st.is_wt_new() && !st.is_index_new() {
                if will_write.contains_key(path) {
                    out.push(path.to_owned());
                }
                continue;
            }
            out.push(path.to_owned());
        }
        Ok(out)
    }

    fn check_git_idle(&self) -> Result<(), UpstreamError> {
        match self.repo.state() {
            RepositoryState::Clean => Ok(()),
            RepositoryState::Merge => Err(UpstreamError::GitBusy("merge".into())),
            RepositoryState::Revert | RepositoryState::RevertSequence => {
                Err(UpstreamError::GitBusy("revert".into()))
            }
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => {
                Err(UpstreamError::GitBusy("cherry-pick".into()))
            }
            RepositoryState::Bisect => Err(UpstreamError::GitBusy("bisect".into())),
            _ => Err(UpstreamError::GitBusy("rebase".into())),
        }
    }

    /// Starts a merge of `target`: writes the merged tree into the working tree (decisions
    /// not yet taken leave the fork's files as they are) and keeps the state. Resumes an
    /// interrupted write.
    pub fn merge(
        &self,
        remote: &str,
        target: Option<&str>,
        options: &MergeOptions,
    ) -> Result<Started, UpstreamError> {
        if let Some(state) = self.state()? {
            if state.phase == Phase::Writing {
                let plan = self.plan_from(&state)?;
                let state = self.write_plan(state, &plan, None)?;
                return Ok(Started {
                    target: state.target.clone(),
                    plan,
                    stashed: state.stash.clone(),
                    resumed: true,
                });
            }
            return Err(UpstreamError::InProgress {
                target: state.target.label,
            });
        }
        self.check_git_idle()?;
        let target = self.target(remote, target)?;
        let head = self.head()?;
        let base = self.base(&target)?;
        if base.to_string() == target.commit {
            return Err(UpstreamError::UpToDate {
                target: target.label,
            });
        }
        let plan = self.plan(&target, &Resolutions::default())?;
        let dirty = self.dirty_paths(&plan.writes)?;
        let mut stash = None;
        if !dirty.is_empty() {
            if !options.stash {
                return Err(UpstreamError::Dirty { paths: dirty });
            }
            stash = Some(self.stash()?);
            let still = self.dirty_paths(&plan.writes)?;
            if !still.is_empty() {
                return Err(UpstreamError::Dirty { paths: still });
            }
        }
        let branch = self
            .repo
            .head()
            .ok()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok().map(str::to_owned));
        self.repo.reference(
            PRE_MERGE_REF,
            head,
            true,
            "prowl upstream merge: the commit before",
        )?;
        let state = MergeState {
            version: 1,
            remote: remote.to_owned(),
            target: target.clone(),
            base: base.to_string(),
            head: head.to_string(),
            branch,
            phase: Phase::Writing,
            stash: stash.clone(),
            resolutions: Resolutions::default(),
            written: BTreeMap::new(),
        };
        // MERGE_HEAD makes git (and other tools) see the merge in progress.
        let git_dir = self.repo.path();
        let _ = std::fs::write(git_dir.join("MERGE_HEAD"), format!("{}\n", target.commit));
        let _ = std::fs::write(
            git_dir.join("MERGE_MSG"),
            format!("{}\n", self.default_message(&target)),
        );
        let _ = std::fs::write(git_dir.join("MERGE_MODE"), "no-ff");
        self.write_plan(state, &plan, None)?;
        Ok(Started {
            target,
            plan,
            stashed: stash,
            resumed: false,
        })
    }

    fn default_message(&self, target: &Target) -> String {
        format!(
            "Merge upstream {} ({})",
            target.label,
            &target.commit[..target.commit.len().min(12)]
        )
    }

    fn stash(&self) -> Result<String, UpstreamError> {
        let sig = self.signature()?;
        // The repository handle is shared; stash needs it mutably.
        let mut repo = Repository::open(self.repo.path())?;
        let oid = repo.stash_save(&sig, "prowl upstream merge: changes before the merge", None)?;
        Ok(oid.to_string())
    }

    fn unstash(&self, stash: &str) -> String {
        let Ok(mut repo) = Repository::open(self.repo.path()) else {
            return format!(
                "your changes are in the stash ({stash}): `git stash pop` gives them back"
            );
        };
        let mut index = None;
        let _ = repo.stash_foreach(|i, _, oid| {
            if oid.to_string() == stash {
                index = Some(i);
                false
            } else {
                true
            }
        });
        match index {
            Some(i) => match repo.stash_pop(i, None) {
                Ok(()) => "your uncommitted changes are back (stash popped)".into(),
                Err(e) => format!(
                    "your changes stay in the stash ({}): `git stash pop` gives them back once the conflict is sorted",
                    e.message()
                ),
            },
            None => format!("the stash {stash} is gone; nothing given back"),
        }
    }

    fn signature(&self) -> Result<Signature<'static>, UpstreamError> {
        Ok(self
            .repo
            .signature()
            .or_else(|_| Signature::now("Prowl", "prowl@localhost"))?
            .to_owned())
    }

    /// The bytes HEAD has at `path`.
    fn head_bytes(&self, head: &str, path: &str) -> Result<Option<Vec<u8>>, UpstreamError> {
        let tree = self.repo.find_commit(Oid::from_str(head)?)?.tree()?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) => Ok(Some(self.repo.find_blob(entry.id())?.content().to_vec())),
            Err(_) => Ok(None),
        }
    }

    /// Writes the plan's files: paths in `only` (all when `None`); paths the merge wrote
    /// before and the plan no longer changes go back to HEAD's content. A file the user
    /// edited since the merge wrote it is copied aside first.
    fn write_plan(
        &self,
        mut state: MergeState,
        plan: &Plan,
        only: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<MergeState, UpstreamError> {
        let mut paths: Vec<String> = plan.writes.keys().cloned().collect();
        for p in state.written.keys() {
            if !plan.writes.contains_key(p) {
                paths.push(p.clone());
            }
        }
        paths.retain(|p| only.is_none_or(|f| f(p)));
        paths.sort();
        paths.dedup();
        // The state first, with every path about to be written: an interruption is resumable.
        let resuming = state.phase == Phase::Writing;
        state.phase = Phase::Writing;
        for p in &paths {
            state
                .written
                .entry(p.clone())
                .or_insert_with(|| "pending".into());
        }
        self.save_state(&state)?;
        for p in &paths {
            let abs = self.workdir.join(p);
            let on_disk = save::stamp_on_disk(&abs)?;
            let recorded = state.written.get(p).cloned().unwrap_or_default();
            let head = self.head_bytes(&state.head, p)?;
            let wanted: Option<Vec<u8>> = match plan.writes.get(p) {
                Some(w) => w.clone(),
                None => head.clone(),
            };
            let wanted_stamp = wanted
                .as_deref()
                .map(save::stamp_of)
                .unwrap_or_else(|| save::ABSENT.into());
            if on_disk == wanted_stamp || (wanted_stamp == recorded && !resuming) {
                // Already right; or the merge's answer for this file did not change, and the
                // file (with any edit the user made to it since) stays.
                if on_disk == wanted_stamp {
                    state.written.insert(p.clone(), wanted_stamp);
                }
                continue;
            }
            let head_stamp = head
                .as_deref()
                .map(save::stamp_of)
                .unwrap_or_else(|| save::ABSENT.into());
            if on_disk != recorded && on_disk != head_stamp && on_disk != save::ABSENT {
                // Edited by the user since: keep a copy before replacing it.
                self.keep_copy("replaced", p, &abs)?;
            }
            let stamp = match wanted {
                Some(bytes) => {
                    let s = save::save_bytes_in(&self.workdir, &abs, &bytes, &on_disk)?;
                    if let Some(mode) = plan.modes.get(p) {
                        if *mode == 0o100755 {
                            use std::os::unix::fs::PermissionsExt;
                            let _ = std::fs::set_permissions(
                                &abs,
                                std::fs::Permissions::from_mode(0o755),
                            );
                        }
                    }
                    s
                }
                None => {
                    save::remove_in(&self.workdir, &abs, &on_disk)?;
                    save::ABSENT.to_owned()
                }
            };
            state.written.insert(p.clone(), stamp);
        }
        state.phase = Phase::Written;
        self.save_state(&state)?;
        Ok(state)
    }

    fn keep_copy(&self, kind: &str, rel: &str, abs: &Path) -> Result<PathBuf, UpstreamError> {
        let dest = self.state_dir().join(kind).join(rel);
        if let Some(d) = dest.parent() {
            std::fs::create_dir_all(d).map_err(|e| UpstreamError::State {
                path: d.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        std::fs::copy(abs, &dest).map_err(|e| UpstreamError::State {
            path: dest.clone(),
            message: e.to_string(),
        })?;
        Ok(dest)
    }

    /// Records a choice for an item (by ID) or a file (by path) and rewrites its files.
    pub fn resolve(&self, id: &str, resolution: Resolution) -> Result<Plan, UpstreamError> {
        let mut state = self.state()?.ok_or(UpstreamError::NoMerge)?;
        let before = self.plan_from(&state)?;
        let item = before
            .items
            .iter()
            .find(|i| i.id == id || i.renamed_to.as_deref() == Some(id));
        let file = before.files.iter().find(|f| f.path == id);
        let key = match (item, file) {
            (Some(i), _) => {
                for k in resolution.keys.keys() {
                    if !i.conflicts.iter().any(|c| &c.path == k) {
                        let known: Vec<&str> =
                            i.conflicts.iter().map(|c| c.path.as_str()).collect();
                        return Err(UpstreamError::BadResolution(format!(
                            "{id} has no conflict on `{k}`{}",
                            if known.is_empty() {
                                String::new()
                            } else {
                                format!(" (its conflicts: {})", known.join(", "))
                            }
                        )));
                    }
                }
                if let (Some(Take::Both), Some(d)) = (resolution.take, &i.decision) {
                    if !d.options.iter().any(|o| o.take == Take::Both) {
                        return Err(UpstreamError::BadResolution(format!(
                            "{id}: `both` is not an answer here; take ours or theirs"
                        )));
                    }
                }
                i.id.clone()
            }
            (None, Some(f)) => f.path.clone(),
            (None, None) => return Err(UpstreamError::UnknownItem(id.to_owned())),
        };
        let entry = state.resolutions.items.entry(key.clone()).or_default();
        if resolution.take.is_some() {
            entry.take = resolution.take;
        }
        entry.keys.extend(resolution.keys);
        let after = self.plan_from(&state)?;
        // Rewrite only this item's (or file's) paths, before and after.
        let mut mine: Vec<String> = Vec::new();
        for plan in [&before, &after] {
            if let Some(i) = plan.items.iter().find(|i| i.id == key) {
                mine.extend(
                    [
                        Some(i.path.clone()),
                        i.code_path.clone(),
                        i.ours_path.clone(),
                        i.theirs_path.clone(),
                    ]
                    .into_iter()
                    .flatten(),
                );
                if let Some(t) = plan.texts.get(&key) {
                    mine.extend(t.code.path.clone());
                }
            }
        }
        if file.is_some() {
            mine.push(key.clone());
        }
        let filter = |p: &str| mine.iter().any(|m| m == p);
        self.write_plan(state, &after, Some(&filter))?;
        Ok(after)
    }

    /// Accepts Prowl's proposed answer for every open decision.
    pub fn accept_proposed(&self) -> Result<Plan, UpstreamError> {
        let mut state = self.state()?.ok_or(UpstreamError::NoMerge)?;
        let plan = self.plan_from(&state)?;
        for i in &plan.items {
            if let Some(d) = i.decision.as_ref().filter(|d| d.chosen.is_none()) {
                state
                    .resolutions
                    .items
                    .entry(i.id.clone())
                    .or_default()
                    .take = Some(d.proposed);
            }
        }
        for f in &plan.files {
            if let Some(d) = f.decision.as_ref().filter(|d| d.chosen.is_none()) {
                state
                    .resolutions
                    .items
                    .entry(f.path.clone())
                    .or_default()
                    .take = Some(d.proposed);
            }
        }
        let after = self.plan_from(&state)?;
        self.write_plan(state, &after, None)?;
        Ok(after)
    }

    /// Files of the merge that still hold conflict markers on disk.
    pub fn files_with_markers(&self, plan: &Plan) -> Vec<String> {
        plan.writes
            .iter()
            .filter(|(_, w)| w.is_some())
            .filter_map(|(p, _)| {
                let text = std::fs::read(self.workdir.join(p)).ok()?;
                let text = String::from_utf8(text).ok()?;
                text::has_conflict_markers(&text).then(|| p.clone())
            })
            .collect()
    }

    /// Items still open once the user's edits are counted: a conflict is settled when its
    /// files no longer hold markers; a decision only by a choice.
    pub fn open_items(&self, plan: &Plan) -> Vec<String> {
        let marked = self.files_with_markers(plan);
        let mut open: Vec<String> = Vec::new();
        for i in &plan.items {
            match i.outcome {
                Outcome::Decision => open.push(i.id.clone()),
                Outcome::Conflict => {
                    let files = [Some(&i.path), i.code_path.as_ref()];
                    if files.iter().flatten().any(|p| marked.contains(p)) {
                        open.push(i.id.clone());
                    }
                }
                _ => {}
            }
        }
        for f in &plan.files {
            match f.outcome {
                Outcome::Decision => open.push(f.path.clone()),
                Outcome::Conflict if marked.contains(&f.path) => open.push(f.path.clone()),
                _ => {}
            }
        }
        open
    }

    /// Makes the merge commit (parents: the fork's HEAD and upstream's target) once every
    /// decision is taken and no file holds conflict markers.
    pub fn commit(&self, message: Option<&str>) -> Result<Committed, UpstreamError> {
        let state = self.state()?.ok_or(UpstreamError::NoMerge)?;
        if state.phase == Phase::Writing {
            return Err(UpstreamError::InProgress {
                target: state.target.label,
            });
        }
        let plan = self.plan_from(&state)?;
        let open = self.open_items(&plan);
        if !open.is_empty() {
            let markers = self.files_with_markers(&plan);
            if !markers.is_empty() && plan.items.iter().all(|i| i.outcome != Outcome::Decision) {
                return Err(UpstreamError::Markers { paths: markers });
            }
            return Err(UpstreamError::Unresolved {
                open: open.len(),
                ids: open,
            });
        }
        let head = self.head()?;
        if head.to_string() != state.head {
            return Err(UpstreamError::State {
                path: self.state_dir().join("state.json"),
                message: format!("HEAD moved during the merge (was {}, now {head}): abort the merge and start again", state.head),
            });
        }
        let mut index = self.repo.index()?;
        index.read(true)?;
        for p in state.written.keys() {
            if self.workdir.join(p).exists() {
                index.add_path(Path::new(p))?;
            } else {
                let _ = index.remove_path(Path::new(p));
            }
        }
        index.write()?;
        let tree = self.repo.find_tree(index.write_tree()?)?;
        let sig = self.signature()?;
        let ours = self.repo.find_commit(head)?;
        let theirs = self
            .repo
            .find_commit(Oid::from_str(&state.target.commit)?)?;
        let message = message
            .map(str::to_owned)
            .unwrap_or_else(|| self.default_message(&state.target));
        let commit =
            self.repo
                .commit(Some("HEAD"), &sig, &sig, &message, &tree, &[&ours, &theirs])?;
        let _ = self.repo.cleanup_state();
        self.save_json(
            "last.json",
            &LastMerge {
                merge: commit.to_string(),
                pre_merge: state.head.clone(),
                target: state.target.clone(),
            },
        )?;
        self.remove_json("state.json");
        let stash_note = state.stash.as_deref().map(|s| self.unstash(s));
        Ok(Committed {
            commit: commit.to_string(),
            pre_merge: state.head,
            files: state.written.len(),
            stash_note,
        })
    }

    /// Ends the merge in progress: every file it wrote back to HEAD's content; files the user
    /// edited during the merge are kept as copies first.
    pub fn abort(&self) -> Result<Aborted, UpstreamError> {
        let state = self.state()?.ok_or(UpstreamError::NoMerge)?;
        let mut restored = 0;
        let mut kept = Vec::new();
        let stamp_dir = format!(
            "aborted/{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        );
        for (p, written) in &state.written {
            let abs = self.workdir.join(p);
            let on_disk = save::stamp_on_disk(&abs)?;
            let head = self.head_bytes(&state.head, p)?;
            let head_stamp = head
                .as_deref()
                .map(save::stamp_of)
                .unwrap_or_else(|| save::ABSENT.into());
            if on_disk == head_stamp {
                continue;
            }
            if on_disk != *written && on_disk != save::ABSENT {
                kept.push(self.keep_copy(&stamp_dir, p, &abs)?.display().to_string());
            }
            match head {
                Some(bytes) => {
                    save::save_bytes_in(&self.workdir, &abs, &bytes, &on_disk)?;
                }
                None => save::remove_in(&self.workdir, &abs, &on_disk)?,
            }
            restored += 1;
        }
        let _ = self.repo.cleanup_state();
        self.remove_json("state.json");
        let stash_note = state.stash.as_deref().map(|s| self.unstash(s));
        Ok(Aborted {
            restored,
            kept,
            stash_note,
        })
    }

    /// Undoes the last merge commit: HEAD goes back to the commit before it (the merge commit
    /// stays reachable from `refs/prowl/upstream/undone`). Refuses over uncommitted changes
    /// or when commits were made after the merge.
    pub fn undo(&self) -> Result<Undone, UpstreamError> {
        if self.state()?.is_some() {
            return Err(UpstreamError::InProgress {
                target: "a target".into(),
            });
        }
        let path = self.state_dir().join("last.json");
        let last: LastMerge = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| UpstreamError::State {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(_) => return Err(UpstreamError::NothingToUndo),
        };
        let head = self.head()?;
        if head.to_string() != last.merge {
            return Err(UpstreamError::MovedOn { merge: last.merge });
        }
        let dirty = self.dirty_paths(&BTreeMap::new())?;
        if !dirty.is_empty() {
            return Err(UpstreamError::Dirty { paths: dirty });
        }
        let pre = self.repo.find_commit(Oid::from_str(&last.pre_merge)?)?;
        self.repo.reference(
            UNDONE_REF,
            head,
            true,
            "prowl upstream undo: the merge commit",
        )?;
        self.repo.reset(pre.as_object(), ResetType::Hard, None)?;
        self.remove_json("last.json");
        Ok(Undone {
            merge: last.merge,
            head: pre.id().to_string(),
        })
    }
}
