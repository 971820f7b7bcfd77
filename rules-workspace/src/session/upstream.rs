//! The upstream merge for an interactive front end (the desktop's Upstream view): the same
//! [`crate::upstream`] steps `prowl upstream …` takes, with what a window needs around them.
//!
//! - [`view`]: the remote, its releases, the merge in progress (if any), the plan of merging
//!   the target (or of the merge in progress, its choices applied), what is still open, and the
//!   check of the merged result;
//! - [`item`]: one item's change and its three versions with the proposed result;
//! - [`Session::upstream_merge`] writes the merge into the working tree, re-reads the
//!   workspace and checks the result on the session's workers ([`check::verify`], as
//!   `prowl upstream merge` does); [`Session::upstream_resolve`] and
//!   [`Session::upstream_accept_proposed`] record choices and check again the items they
//!   changed; commit, abort and undo end or take back a merge. After every write the session's
//!   workspace is read again.
//!
//! Invariants:
//! - a plan is computed from git alone (base, fork, upstream and the choices); [`UpstreamMemo`]
//!   keeps the last one by exactly that key, so showing items one after another does not
//!   merge the whole repository again each time; what is on disk (conflict markers) is read
//!   anew for every view;
//! - the check of the merged result is kept until the merge ends (committed, aborted) or
//!   another workspace is opened; a re-check replaces the entries of the items it covered;
//! - writes hold the session (like a test run): no run reads a half-written tree.

use super::{Session, SessionError};
use crate::error::ErrorInfo;
use crate::upstream::check::{self, CheckReport};
use crate::upstream::{
    Aborted, ChangeClass, Committed, FetchProgress, Fetched, ItemChange, ItemTexts, MergeOptions,
    MergeState, Outcome, Plan, Resolution, Resolutions, Target, Undone, Upstream, UpstreamError,
    DEFAULT_REMOTE, PRE_MERGE_REF,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use ts_rs::TS;

/// The remote the window merges from (the one `prowl upstream` uses by default).
pub const REMOTE: &str = DEFAULT_REMOTE;

/// How long one detection's tests may take when the merged result is checked (as
/// `prowl upstream merge --timeout` defaults to).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// A merge in progress, as the window shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "UpstreamInProgress")]
pub struct InProgress {
    /// What is being merged.
    pub target: Target,
    /// The branch HEAD was on when it started.
    pub branch: Option<String>,
    /// The stash made for it (given back at commit or abort).
    pub stash: Option<String>,
    /// Writing its files was interrupted: merging again resumes it (or abort).
    pub interrupted: bool,
}

/// What the Upstream view shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "UpstreamView")]
pub struct UpstreamView {
    /// The remote's name.
    pub remote: String,
    /// Its URL (credentials removed); `None` when the fork has no such remote.
    pub url: Option<String>,
    /// Tags that look like releases, newest first (fetched ones).
    pub releases: Vec<String>,
    /// The remote's default branch (`upstream/main`), when fetched.
    pub default_target: Option<Target>,
    /// What the plan merges: the merge's target while one is in progress, else the target
    /// asked for (the default branch when none was).
    pub target: Option<Target>,
    /// The merge in progress.
    pub merge: Option<InProgress>,
    /// The plan: every item that changed on some side (unchanged ones are only counted in
    /// `counts`) and the other files; `None` when it could not be made (see `problem`).
    pub plan: Option<Plan>,
    /// Why there is no plan (no remote, nothing fetched, an unknown target, not a content
    /// repository, no common history).
    pub problem: Option<ErrorInfo>,
    /// Items (by ID) and files (by path) that still need the user: during a merge, an untaken
    /// decision or conflict markers still in a file; before one, what the merge would leave
    /// to the user. A merge can be committed when this is empty.
    pub open: Vec<String>,
    /// Files of the merge in progress that still hold conflict markers.
    pub markers: Vec<String>,
    /// The check of the merged result (validation and unit tests of the items the merge
    /// touched), once a merge was written.
    pub check: Option<CheckReport>,
    /// Why the merged result could not be checked (no Python environment, …).
    pub check_problem: Option<ErrorInfo>,
    /// The upstream merge commit "undo" would take back (HEAD, made by Prowl), if any.
    pub undo: Option<String>,
}

/// One item of the plan with its texts, for the three-way view.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "UpstreamItemDetail")]
pub struct ItemDetail {
    /// The item's change.
    pub item: ItemChange,
    /// Its spec's and code's three versions and the proposed result.
    pub texts: ItemTexts,
}

/// What a write did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "UpstreamStep")]
pub enum Step {
    /// The remote's URL was set (the remote added when missing).
    RemoteSet,
    /// The remote was fetched.
    Fetched {
        /// What the fetch brought.
        fetched: Fetched,
    },
    /// A merge was written into the working tree.
    Merged {
        /// What was merged.
        target: Target,
        /// Files written.
        files: usize,
        /// The stash made for it.
        stashed: Option<String>,
        /// An interrupted write was resumed.
        resumed: bool,
    },
    /// A choice was recorded and the item's files rewritten.
    Resolved {
        /// The item (or file) answered.
        id: String,
    },
    /// Prowl's proposed answer was taken for every open decision.
    Accepted {
        /// How many decisions.
        decisions: usize,
    },
    /// The merge commit was made.
    Committed {
        /// It.
        committed: Committed,
    },
    /// The merge was stopped.
    Aborted {
        /// What was restored.
        aborted: Aborted,
    },
    /// The last merge commit was taken back.
    Undone {
        /// What was undone.
        undone: Undone,
    },
}

/// A write and the view after it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "UpstreamDone")]
pub struct UpstreamDone {
    /// What was done.
    pub done: Step,
    /// The view afterwards.
    pub view: UpstreamView,
}

/// What a plan is computed from: the same key gives the same plan.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlanKey {
    head: String,
    target: String,
    resolutions: Resolutions,
}

/// What the session keeps between the window's calls: the last plan (by its key) and the
/// check of the merged result.
#[derive(Debug, Default)]
pub struct UpstreamMemo {
    plan: Option<(PlanKey, Plan)>,
    check: Option<CheckReport>,
    check_problem: Option<ErrorInfo>,
}

impl UpstreamMemo {
    /// Forgets the check (the merge ended); the plan cache stays valid by its key.
    pub fn forget_check(&mut self) {
        self.check = None;
        self.check_problem = None;
    }

    /// Forgets everything (another workspace was opened).
    pub fn forget(&mut self) {
        *self = UpstreamMemo::default();
    }

    /// The plan of the merge in progress (its choices applied), or of merging `target`, as
    /// [`Upstream::status`] gives it, from the cache when its key is the same.
    fn status(
        &mut self,
        up: &Upstream,
        target: Option<&str>,
    ) -> Result<(Plan, Option<MergeState>), UpstreamError> {
        let state = up.state()?;
        let head = head_commit(up.workdir());
        let key = match (&state, &head) {
            (Some(s), Some(h)) => Some(PlanKey {
                head: h.clone(),
                target: s.target.commit.clone(),
                resolutions: s.resolutions.clone(),
            }),
            (None, Some(h)) => Some(PlanKey {
                head: h.clone(),
                target: up.target(REMOTE, target)?.commit,
                resolutions: Resolutions::default(),
            }),
            _ => None,
        };
        if let (Some(key), Some((cached, plan))) = (&key, &self.plan) {
            if key == cached {
                return Ok((plan.clone(), state));
            }
        }
        let (plan, state) = up.status(REMOTE, target)?;
        if let Some(key) = key {
            self.plan = Some((key, plan.clone()));
        }
        Ok((plan, state))
    }

    /// Keeps a plan the core just computed for the merge in progress.
    fn keep(&mut self, up: &Upstream, plan: &Plan) {
        if let (Ok(Some(state)), Some(head)) = (up.state(), head_commit(up.workdir())) {
            let key = PlanKey {
                head,
                target: state.target.commit,
                resolutions: state.resolutions,
            };
            self.plan = Some((key, plan.clone()));
        }
    }

    /// Takes a re-check of some items into the kept check: their old entries (by ID, or by
    /// the path of a file that did not load) are replaced.
    fn merge_check(&mut self, fresh: CheckReport, ids: &[String], files: &[String]) {
        let Some(old) = self.check.take() else {
            self.check = Some(fresh);
            return;
        };
        let covered = |id: &str, path: &str| {
            ids.iter().any(|i| i == id)
                || files.iter().any(|f| f == path || f == id)
                || fresh.items.iter().any(|c| c.id == id)
        };
        let mut items: Vec<_> = old
            .items
            .into_iter()
            .filter(|c| !covered(&c.id, &c.path))
            .collect();
        items.extend(fresh.items);
        items.sort_by_key(|c| (c.ok(), c.id.clone()));
        let failed = items.iter().filter(|c| !c.ok()).count();
        self.check = Some(CheckReport { items, failed });
    }
}

fn head_commit(workdir: &Path) -> Option<String> {
    let repo = git2::Repository::discover(workdir).ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    Some(head.id().to_string())
}

/// The merge commit undo would take back: HEAD, when it is a merge whose first parent is the
/// commit Prowl kept before its last merge.
fn undoable(workdir: &Path) -> Option<String> {
    let repo = git2::Repository::discover(workdir).ok()?;
    let pre = repo.refname_to_id(PRE_MERGE_REF).ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    (head.parent_count() == 2 && head.parent_id(0).ok()? == pre).then(|| head.id().to_string())
}

fn open_upstream(root: &Path) -> Result<Upstream, ErrorInfo> {
    Ok(Upstream::open(root)?)
}

/// What the Upstream view shows for the workspace at `root`, planning `target` (a branch of
/// the remote, a tag, a commit; `None`: the remote's default branch) unless a merge is in
/// progress.
pub fn view(
    root: &Path,
    memo: &mut UpstreamMemo,
    target: Option<&str>,
) -> Result<UpstreamView, ErrorInfo> {
    let up = open_upstream(root)?;
    view_of(&up, memo, target)
}

fn view_of(
    up: &Upstream,
    memo: &mut UpstreamMemo,
    target: Option<&str>,
) -> Result<UpstreamView, ErrorInfo> {
    let url = up.remote_url(REMOTE);
    let default_target = url.as_ref().and_then(|_| up.target(REMOTE, None).ok());
    let (plan, state, problem) = match memo.status(up, target) {
        Ok((plan, state)) => (Some(plan), state, None),
        // An unreadable state file is an error of the view itself, not of the plan.
        Err(e @ UpstreamError::State { .. }) => return Err(e.into()),
        Err(e) => (None, up.state().ok().flatten(), Some(ErrorInfo::from(e))),
    };
    let (open, markers) = match (&plan, &state) {
        (Some(p), Some(_)) => (up.open_items(p), up.files_with_markers(p)),
        (Some(p), None) => (needs_user(p), Vec::new()),
        _ => (Vec::new(), Vec::new()),
    };
    let shown_target = match (&state, &plan) {
        (Some(s), _) => Some(s.target.clone()),
        (None, Some(_)) => up.target(REMOTE, target).ok(),
        (None, None) => None,
    };
    let plan = plan.map(|mut p| {
        p.items.retain(|i| i.class != ChangeClass::Unchanged);
        p
    });
    Ok(UpstreamView {
        remote: REMOTE.to_owned(),
        url,
        releases: up.releases(),
        default_target,
        target: shown_target,
        merge: state.map(|s| InProgress {
            interrupted: s.phase == crate::upstream::Phase::Writing,
            target: s.target,
            branch: s.branch,
            stash: s.stash,
        }),
        plan,
        problem,
        open,
        markers,
        check: memo.check.clone(),
        check_problem: memo.check_problem.clone(),
        undo: undoable(up.workdir()),
    })
}

/// Items and files a merge of `plan` would leave to the user.
fn needs_user(plan: &Plan) -> Vec<String> {
    plan.items
        .iter()
        .filter(|i| i.needs_user())
        .map(|i| i.id.clone())
        .chain(
            plan.files
                .iter()
                .filter(|f| matches!(f.outcome, Outcome::Conflict | Outcome::Decision))
                .map(|f| f.path.clone()),
        )
        .collect()
}

/// One item of the plan (by its ID, or the new ID of an ID upstream changed) with its texts.
pub fn item(
    root: &Path,
    memo: &mut UpstreamMemo,
    id: &str,
    target: Option<&str>,
) -> Result<ItemDetail, ErrorInfo> {
    let up = open_upstream(root)?;
    let (plan, _) = memo.status(&up, target)?;
    let item = plan
        .items
        .iter()
        .find(|i| i.id == id || i.renamed_to.as_deref() == Some(id))
        .ok_or_else(|| UpstreamError::UnknownItem(id.to_owned()))?;
    Ok(ItemDetail {
        texts: plan.texts.get(&item.id).cloned().unwrap_or_default(),
        item: item.clone(),
    })
}

/// Points the remote at `url` (adding it when missing).
pub fn set_remote(
    root: &Path,
    memo: &mut UpstreamMemo,
    url: &str,
) -> Result<UpstreamDone, ErrorInfo> {
    let url = url.trim();
    if url.is_empty() {
        return Err(ErrorInfo::new("upstream.no_url", "no URL was given").with_hint(
            "the URL (https, ssh) or local path of the content repository the fork was made from",
        ));
    }
    let up = open_upstream(root)?;
    up.set_remote(REMOTE, url)?;
    Ok(UpstreamDone {
        done: Step::RemoteSet,
        view: view_of(&up, memo, None)?,
    })
}

/// Fetches the remote's branches and tags; `progress` sees each step, and the fetch stops
/// when `cancel` is set (`upstream.fetch_cancelled`).
pub fn fetch(
    root: &Path,
    progress: &mut dyn FnMut(FetchProgress),
    cancel: &AtomicBool,
) -> Result<Fetched, ErrorInfo> {
    let up = open_upstream(root)?;
    let fetched = up.fetch(REMOTE, &mut |p| {
        progress(p);
        !cancel.load(Ordering::SeqCst)
    });
    match fetched {
        Err(UpstreamError::Fetch { .. }) if cancel.load(Ordering::SeqCst) => Err(ErrorInfo::new(
            "upstream.fetch_cancelled",
            format!("the fetch of `{REMOTE}` was cancelled"),
        )
        .with_hint("what was already fetched stays; fetch again to get the rest")),
        other => Ok(other?),
    }
}

/// The view after a fetch.
pub fn fetched(
    root: &Path,
    memo: &mut UpstreamMemo,
    fetched: Fetched,
    target: Option<&str>,
) -> Result<UpstreamDone, ErrorInfo> {
    Ok(UpstreamDone {
        done: Step::Fetched { fetched },
        view: view(root, memo, target)?,
    })
}

/// The IDs and files of the merge's items `ids` (all when `None`) whose merged content differs
/// from the fork's: what a check must cover.
fn touched(plan: &Plan, ids: Option<&[String]>) -> (Vec<String>, Vec<String>) {
    let chosen: Vec<&ItemChange> = plan
        .items
        .iter()
        .filter(|i| ids.is_none_or(|ids| ids.contains(&i.id)))
        .collect();
    let wanted: BTreeSet<&str> = chosen.iter().map(|i| i.id.as_str()).collect();
    let all = plan.touched_items();
    let mut touched: Vec<String> = match ids {
        None => all,
        Some(_) => {
            // `touched_items` names an ID upstream changed by its new ID once the rename is
            // followed: keep those of the chosen items either way.
            let renamed: BTreeSet<&str> = chosen
                .iter()
                .filter_map(|i| i.renamed_to.as_deref())
                .collect();
            all.into_iter()
                .filter(|t| wanted.contains(t.as_str()) || renamed.contains(t.as_str()))
                .collect()
        }
    };
    let mut files: Vec<String> = Vec::new();
    for i in &chosen {
        for p in [Some(&i.path), i.code_path.as_ref()].into_iter().flatten() {
            if plan.writes.get(p).is_some_and(Option::is_some) {
                files.push(p.clone());
            }
        }
    }
    if ids.is_none() {
        files = plan
            .writes
            .iter()
            .filter(|(_, w)| w.is_some())
            .map(|(p, _)| p.clone())
            .collect();
    } else {
        // Items the choice removed are no longer there to check: their old entries go.
        touched.extend(wanted.iter().map(|s| (*s).to_owned()));
        touched.sort();
        touched.dedup();
    }
    (touched, files)
}

impl Session {
    /// Validates `ids` and runs their tests (and those of what depends on them) on the
    /// session's workers, after reading the workspace again.
    fn check_merged(&mut self, ids: &[String], files: &[String]) -> Result<CheckReport, ErrorInfo> {
        self.reload()?;
        self.pool()?;
        let pool = self.pool.as_mut().expect("pool ensured");
        check::verify(&self.ws, pool, ids, files, CHECK_TIMEOUT)
            .map_err(|e| SessionError::from(e).into())
    }

    /// Checks what a write changed and keeps the result in `memo`: the whole merge
    /// (`ids: None`) or some of its items.
    fn recheck(&mut self, memo: &mut UpstreamMemo, plan: &Plan, ids: Option<&[String]>) {
        let (touched, files) = touched(plan, ids);
        match self.check_merged(&touched, &files) {
            Ok(report) => {
                if ids.is_none() {
                    memo.check = Some(report);
                } else {
                    memo.merge_check(report, &touched, &files);
                }
                memo.check_problem = None;
            }
            Err(e) => memo.check_problem = Some(e),
        }
    }

    /// Writes the merge of `target` (`None`: the remote's default branch) into the working
    /// tree (with `stash`, uncommitted changes are stashed first and given back at the end),
    /// or resumes an interrupted one; then checks the merged result.
    pub fn upstream_merge(
        &mut self,
        memo: &mut UpstreamMemo,
        target: Option<&str>,
        stash: bool,
    ) -> Result<UpstreamDone, ErrorInfo> {
        let up = open_upstream(&self.ws.root)?;
        let started = up.merge(REMOTE, target, &MergeOptions { stash })?;
        memo.forget_check();
        memo.keep(&up, &started.plan);
        self.recheck(memo, &started.plan, None);
        Ok(UpstreamDone {
            done: Step::Merged {
                target: started.target.clone(),
                files: started.plan.writes.len(),
                stashed: started.stashed.clone(),
                resumed: started.resumed,
            },
            view: view_of(&up, memo, None)?,
        })
    }

    /// Answers an item's (or a file's) decision or conflicts, then checks that item again.
    pub fn upstream_resolve(
        &mut self,
        memo: &mut UpstreamMemo,
        id: &str,
        resolution: Resolution,
    ) -> Result<UpstreamDone, ErrorInfo> {
        if resolution.take.is_none() && resolution.keys.is_empty() {
            return Err(
                ErrorInfo::new("upstream.no_side", format!("no side was chosen for {id}"))
                    .with_hint("take the fork's, upstream's or both, for the item or per key"),
            );
        }
        let up = open_upstream(&self.ws.root)?;
        let plan = up.resolve(id, resolution)?;
        memo.keep(&up, &plan);
        let key = plan
            .items
            .iter()
            .find(|i| i.id == id || i.renamed_to.as_deref() == Some(id))
            .map_or_else(|| id.to_owned(), |i| i.id.clone());
        self.recheck(memo, &plan, Some(std::slice::from_ref(&key)));
        Ok(UpstreamDone {
            done: Step::Resolved { id: key },
            view: view_of(&up, memo, None)?,
        })
    }

    /// Takes Prowl's proposed answer for every open decision, then checks those items again.
    pub fn upstream_accept_proposed(
        &mut self,
        memo: &mut UpstreamMemo,
    ) -> Result<UpstreamDone, ErrorInfo> {
        let up = open_upstream(&self.ws.root)?;
        let (before, _) = memo.status(&up, None)?;
        let decided: Vec<String> = before
            .items
            .iter()
            .filter(|i| i.decision.as_ref().is_some_and(|d| d.chosen.is_none()))
            .map(|i| i.id.clone())
            .collect();
        let files = before
            .files
            .iter()
            .filter(|f| f.decision.as_ref().is_some_and(|d| d.chosen.is_none()))
            .count();
        let plan = up.accept_proposed()?;
        memo.keep(&up, &plan);
        if !decided.is_empty() {
            self.recheck(memo, &plan, Some(&decided));
        } else {
            self.reload()?;
        }
        Ok(UpstreamDone {
            done: Step::Accepted {
                decisions: decided.len() + files,
            },
            view: view_of(&up, memo, None)?,
        })
    }

    /// Makes the merge commit (both parents) once nothing is open.
    pub fn upstream_commit(
        &mut self,
        memo: &mut UpstreamMemo,
        message: Option<&str>,
    ) -> Result<UpstreamDone, ErrorInfo> {
        let up = open_upstream(&self.ws.root)?;
        let committed = up.commit(message.filter(|m| !m.trim().is_empty()))?;
        memo.forget_check();
        self.reload()?;
        Ok(UpstreamDone {
            done: Step::Committed { committed },
            view: view_of(&up, memo, None)?,
        })
    }

    /// Stops the merge in progress: the files it wrote go back to HEAD (the user's edits kept
    /// as copies).
    pub fn upstream_abort(&mut self, memo: &mut UpstreamMemo) -> Result<UpstreamDone, ErrorInfo> {
        let up = open_upstream(&self.ws.root)?;
        let aborted = up.abort()?;
        memo.forget_check();
        self.reload()?;
        Ok(UpstreamDone {
            done: Step::Aborted { aborted },
            view: view_of(&up, memo, None)?,
        })
    }

    /// Takes back the last upstream merge commit (HEAD returns to the commit before it).
    pub fn upstream_undo(&mut self, memo: &mut UpstreamMemo) -> Result<UpstreamDone, ErrorInfo> {
        let up = open_upstream(&self.ws.root)?;
        let undone = up.undo()?;
        memo.forget_check();
        self.reload()?;
        Ok(UpstreamDone {
            done: Step::Undone { undone },
            view: view_of(&up, memo, None)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{git, isolate_git_config};
    use crate::upstream::Take;
    use std::collections::BTreeMap;

    const OKTA: &str = "Demo.Okta.BruteForceLogins";
    const STOPPED: &str = "Demo.AWS.CloudTrail.Stopped";
    const OKTA_SPEC: &str = "rules/okta_rules/demo_okta_brute_force_logins.yml";

    /// A copy of the demo (release 1.0 plus local tuning, upstream's release 2.0 to merge),
    /// opened as the window opens it.
    fn demo() -> (tempfile::TempDir, Session) {
        isolate_git_config();
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        crate::demo::write_demo(&ws).unwrap();
        let session = Session::open(&ws).unwrap();
        (dir, session)
    }

    fn keys(pairs: &[(&str, Take)]) -> Resolution {
        Resolution {
            take: None,
            keys: pairs
                .iter()
                .map(|(k, t)| ((*k).to_owned(), *t))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn the_view_before_a_merge_names_the_two_items_that_need_the_user() {
        let (_dir, session) = demo();
        let mut memo = UpstreamMemo::default();
        let v = view(&session.ws.root, &mut memo, None).unwrap();
        assert_eq!(v.remote, "upstream");
        assert!(v
            .url
            .as_deref()
            .is_some_and(|u| u.ends_with("prowl-demo-upstream.git")));
        assert!(v.merge.is_none() && v.problem.is_none() && v.undo.is_none());
        assert_eq!(v.default_target.as_ref().unwrap().label, "upstream/main");
        let plan = v.plan.as_ref().unwrap();
        let mut open = v.open.clone();
        open.sort();
        assert_eq!(open, [STOPPED, OKTA]);
        // Unchanged items are counted, not listed.
        assert!(plan.items.iter().all(|i| i.class != ChangeClass::Unchanged));
        assert_eq!(plan.counts[&ChangeClass::Unchanged], 23);
        let okta = plan.items.iter().find(|i| i.id == OKTA).unwrap();
        assert_eq!(okta.outcome, Outcome::Conflict);
        assert_eq!(okta.conflicts[0].path, "Threshold");

        // One item's texts: the fork's threshold, upstream's, and the markers of the result.
        let d = item(&session.ws.root, &mut memo, OKTA, None).unwrap();
        assert_eq!(d.item.id, OKTA);
        assert!(d
            .texts
            .spec
            .ours
            .as_deref()
            .unwrap()
            .contains("Threshold: 20"));
        assert!(d
            .texts
            .spec
            .theirs
            .as_deref()
            .unwrap()
            .contains("Threshold: 10"));
        assert!(d
            .texts
            .spec
            .result
            .as_deref()
            .unwrap()
            .contains("<<<<<<< fork"));
        let err = item(&session.ws.root, &mut memo, "No.Such.Item", None).unwrap_err();
        assert_eq!(err.code, "upstream.unknown_item");

        // An unknown target is the plan's problem; the remote is still shown.
        let v = view(&session.ws.root, &mut memo, Some("v9.9.9")).unwrap();
        assert!(v.plan.is_none() && v.url.is_some());
        assert_eq!(v.problem.unwrap().code, "upstream.unknown_target");
    }

    #[test]
    fn merge_resolve_accept_and_commit_make_a_merge_commit_with_two_parents() {
        let (_dir, mut session) = demo();
        let root = session.ws.root.clone();
        let head = git(&root, &["rev-parse", "HEAD"]).trim().to_owned();
        let mut memo = UpstreamMemo::default();

        let merged = session.upstream_merge(&mut memo, None, false).unwrap();
        let Step::Merged { target, files, .. } = &merged.done else {
            panic!("{:?}", merged.done)
        };
        assert_eq!(target.label, "upstream/main");
        assert!(*files > 5, "{files}");
        let v = &merged.view;
        assert!(v.merge.as_ref().is_some_and(|m| !m.interrupted));
        assert_eq!(v.markers, [OKTA_SPEC]);
        let mut open = v.open.clone();
        open.sort();
        assert_eq!(open, [STOPPED, OKTA]);
        // Checked on workers when the test environment is there; said why not otherwise.
        assert!(v.check.is_some() != v.check_problem.is_some(), "{v:?}");
        // The session's workspace was read again: the item new upstream is in it.
        assert!(session
            .ws
            .index
            .get("Demo.AWS.CloudTrail.LoggingTampered")
            .is_some());
        // Nothing can be committed yet.
        let err = session.upstream_commit(&mut memo, None).unwrap_err();
        assert_eq!(err.code, "upstream.unresolved");

        // The fork's threshold, then Prowl's proposal for the deleted rule.
        let err = session
            .upstream_resolve(&mut memo, OKTA, keys(&[("Severity", Take::Ours)]))
            .unwrap_err();
        assert_eq!(err.code, "upstream.bad_resolution");
        let resolved = session
            .upstream_resolve(&mut memo, OKTA, keys(&[("Threshold", Take::Ours)]))
            .unwrap();
        assert_eq!(resolved.view.open, [STOPPED]);
        assert!(resolved.view.markers.is_empty());
        let spec = std::fs::read_to_string(root.join(OKTA_SPEC)).unwrap();
        assert!(spec.contains("Threshold: 20 # Acme") && !spec.contains("<<<<<<<"));
        if let Some(check) = &resolved.view.check {
            // The re-check replaced the "conflict markers" entry of the spec.
            assert!(
                check.items.iter().all(|c| c.path != OKTA_SPEC || c.ok()),
                "{check:?}"
            );
        }
        // The view (from the cached plan) agrees with what the core says.
        let again = view(&root, &mut memo, None).unwrap();
        assert_eq!(again.open, [STOPPED]);
        let okta = item(&root, &mut memo, OKTA, None).unwrap();
        assert_eq!(okta.item.resolved.get("Threshold"), Some(&Take::Ours));

        let accepted = session.upstream_accept_proposed(&mut memo).unwrap();
        assert!(matches!(accepted.done, Step::Accepted { decisions: 1 }));
        assert!(accepted.view.open.is_empty());
        assert!(!root
            .join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.yml")
            .exists());

        let committed = session
            .upstream_commit(&mut memo, Some("Merge release 2.0"))
            .unwrap();
        let Step::Committed { committed: c } = &committed.done else {
            panic!("{:?}", committed.done)
        };
        assert_eq!(c.pre_merge, head);
        let parents = git(&root, &["log", "-1", "--format=%P"]);
        assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
        assert_eq!(
            git(&root, &["log", "-1", "--format=%s"]).trim(),
            "Merge release 2.0"
        );
        assert!(git(&root, &["status", "--porcelain"]).trim().is_empty());
        let v = committed.view;
        assert!(v.merge.is_none() && v.check.is_none());
        assert_eq!(v.undo.as_deref(), Some(c.commit.as_str()));
        assert!(session.ws.index.get(STOPPED).is_none());

        // Undo goes back to the commit before it.
        let undone = session.upstream_undo(&mut memo).unwrap();
        assert!(matches!(undone.done, Step::Undone { .. }));
        assert_eq!(git(&root, &["rev-parse", "HEAD"]).trim(), head);
        assert!(undone.view.undo.is_none());
        assert!(session.ws.index.get(STOPPED).is_some());
        assert_eq!(
            session.upstream_undo(&mut memo).unwrap_err().code,
            "upstream.nothing_to_undo"
        );
    }

    #[test]
    fn abort_restores_the_fork_and_a_dirty_tree_merges_only_with_a_stash() {
        let (_dir, mut session) = demo();
        let root = session.ws.root.clone();
        let before = std::fs::read_to_string(root.join(OKTA_SPEC)).unwrap();
        let mut memo = UpstreamMemo::default();

        // Uncommitted changes: refused, unless stashed.
        let readme = root.join("README.md");
        let mine = format!(
            "{}\nmy note\n",
            std::fs::read_to_string(&readme).unwrap_or_default()
        );
        std::fs::write(&readme, &mine).unwrap();
        let err = session.upstream_merge(&mut memo, None, false).unwrap_err();
        assert_eq!(err.code, "upstream.dirty");
        let merged = session.upstream_merge(&mut memo, None, true).unwrap();
        assert!(merged.view.merge.as_ref().unwrap().stash.is_some());
        assert_ne!(
            std::fs::read_to_string(root.join(OKTA_SPEC)).unwrap(),
            before
        );
        // A second merge while one is in progress is refused.
        assert_eq!(
            session
                .upstream_merge(&mut memo, None, false)
                .unwrap_err()
                .code,
            "upstream.in_progress"
        );

        let aborted = session.upstream_abort(&mut memo).unwrap();
        let Step::Aborted { aborted: a } = &aborted.done else {
            panic!("{:?}", aborted.done)
        };
        assert!(a.restored > 5 && a.kept.is_empty(), "{a:?}");
        assert!(aborted.view.merge.is_none() && aborted.view.check.is_none());
        assert_eq!(
            std::fs::read_to_string(root.join(OKTA_SPEC)).unwrap(),
            before
        );
        assert_eq!(std::fs::read_to_string(&readme).unwrap(), mine);
        assert_eq!(git(&root, &["status", "--porcelain"]).trim(), "M README.md");
        assert!(session
            .ws
            .index
            .get("Demo.AWS.CloudTrail.LoggingTampered")
            .is_none());
        assert_eq!(
            session.upstream_abort(&mut memo).unwrap_err().code,
            "upstream.no_merge"
        );
    }

    #[test]
    fn a_remote_is_set_and_fetched_with_progress_and_can_be_cancelled() {
        let (dir, session) = demo();
        let root = session.ws.root.clone();
        let mut memo = UpstreamMemo::default();
        // A second copy of upstream with a new commit and a release tag, as a new remote URL.
        let mirror = dir.path().join("mirror");
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                root.join(".git/prowl-demo-upstream.git").to_str().unwrap(),
                mirror.to_str().unwrap(),
            ],
        );
        std::fs::write(mirror.join("NOTES.md"), "release notes\n").unwrap();
        git(&mirror, &["add", "NOTES.md"]);
        git(
            &mirror,
            &[
                "-c",
                "user.name=U",
                "-c",
                "user.email=u@x",
                "commit",
                "-qm",
                "notes",
            ],
        );
        git(&mirror, &["tag", "v2.1.0"]);
        let main = git(&mirror, &["rev-parse", "HEAD"]).trim().to_owned();
        let err = set_remote(&root, &mut memo, "  ").unwrap_err();
        assert_eq!(err.code, "upstream.no_url");
        let set = set_remote(&root, &mut memo, mirror.to_str().unwrap()).unwrap();
        assert!(matches!(set.done, Step::RemoteSet));
        assert_eq!(set.view.url.as_deref(), mirror.to_str());

        let cancel = AtomicBool::new(true);
        let err = fetch(&root, &mut |_| {}, &cancel).unwrap_err();
        assert_eq!(err.code, "upstream.fetch_cancelled");

        let cancel = AtomicBool::new(false);
        let mut seen = 0;
        let got = fetch(&root, &mut |_| seen += 1, &cancel).unwrap();
        assert!(got.releases.contains(&"v2.1.0".to_owned()), "{got:?}");
        assert!(seen > 0 && got.received_objects > 0, "{got:?}");
        let after = fetched(&root, &mut memo, got, Some("v2.1.0")).unwrap();
        assert!(after.view.releases.contains(&"v2.1.0".to_owned()));
        assert_eq!(after.view.target.as_ref().unwrap().label, "v2.1.0");
        assert_eq!(after.view.target.as_ref().unwrap().commit, main);
        assert_eq!(after.view.open.len(), 2);
    }

    #[test]
    fn a_recheck_replaces_only_the_entries_of_what_it_covered() {
        use crate::upstream::check::ItemCheck;
        let entry = |id: &str, path: &str, invalid: &[&str]| ItemCheck {
            id: id.into(),
            path: path.into(),
            invalid: invalid.iter().map(|s| (*s).to_owned()).collect(),
            failing: Vec::new(),
            tests: 1,
        };
        let mut memo = UpstreamMemo {
            check: Some(CheckReport {
                items: vec![
                    entry("a.yml", "a.yml", &["a.yml: conflict markers"]),
                    entry("B", "b.yml", &["b.yml:3: bad"]),
                    entry("C", "c.yml", &[]),
                ],
                failed: 2,
            }),
            ..UpstreamMemo::default()
        };
        memo.merge_check(
            CheckReport {
                items: vec![entry("A", "a.yml", &[])],
                failed: 0,
            },
            &["A".into()],
            &["a.yml".into()],
        );
        let check = memo.check.unwrap();
        let ids: Vec<&str> = check.items.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["B", "A", "C"]);
        assert_eq!(check.failed, 1);
    }
}
