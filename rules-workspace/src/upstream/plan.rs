//! The merge plan: every item of the base, the fork and upstream matched by ID and classified,
//! its merged files computed (YAML by key, code by lines), and the decisions left to the user.
//! Nothing here writes; [`Plan::writes`] is what applying the plan would change in the fork's
//! tree.

use super::snapshot::{read, ItemVersion, Snapshot, SpecCache};
use super::text::{functions_changed_on_both_sides, is_binary, merge_lines, Favor};
use super::yaml::{merge_spec, KeyConflict, Take};
use git2::{ObjectType, Oid, Repository};
use std::collections::{BTreeMap, BTreeSet};

/// Files larger than this that both sides changed are not merged by lines (taken as a whole).
const MAX_LINE_MERGE_BYTES: usize = 16 << 20;

/// How an item (or a file) changed between the merge base, the fork and upstream.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "UpstreamClass")]
pub enum ChangeClass {
    /// The same on all three sides.
    Unchanged,
    /// Only upstream changed it (moves included).
    ChangedUpstream,
    /// Only the fork changed it.
    ChangedInFork,
    /// Both changed it.
    ChangedBoth,
    /// Upstream added it.
    NewUpstream,
    /// The fork added it.
    NewInFork,
    /// Both added an item with this ID.
    AddedBoth,
    /// Upstream deleted it (or deprecated it); the fork still has it.
    DeletedUpstream,
    /// Upstream changed its ID in place (same file, new ID); the fork still has the old one.
    RenamedUpstream,
    /// The fork deleted it; upstream still has it.
    DeletedInFork,
    /// Both deleted it.
    DeletedBoth,
}

impl ChangeClass {
    /// Every class, in the order reports list them.
    pub const ALL: [ChangeClass; 11] = [
        ChangeClass::ChangedBoth,
        ChangeClass::DeletedUpstream,
        ChangeClass::RenamedUpstream,
        ChangeClass::DeletedInFork,
        ChangeClass::AddedBoth,
        ChangeClass::ChangedUpstream,
        ChangeClass::NewUpstream,
        ChangeClass::ChangedInFork,
        ChangeClass::NewInFork,
        ChangeClass::DeletedBoth,
        ChangeClass::Unchanged,
    ];

    /// The words a report uses.
    pub fn label(self) -> &'static str {
        match self {
            ChangeClass::Unchanged => "unchanged",
            ChangeClass::ChangedUpstream => "changed upstream",
            ChangeClass::ChangedInFork => "changed in the fork",
            ChangeClass::ChangedBoth => "changed on both sides",
            ChangeClass::NewUpstream => "new upstream",
            ChangeClass::NewInFork => "new in the fork",
            ChangeClass::AddedBoth => "added on both sides",
            ChangeClass::DeletedUpstream => "deleted upstream",
            ChangeClass::RenamedUpstream => "ID changed upstream",
            ChangeClass::DeletedInFork => "deleted in the fork",
            ChangeClass::DeletedBoth => "deleted on both sides",
        }
    }

    /// The snake_case name (`changed_both`), as `--class` takes it.
    pub fn name(self) -> &'static str {
        match self {
            ChangeClass::Unchanged => "unchanged",
            ChangeClass::ChangedUpstream => "changed_upstream",
            ChangeClass::ChangedInFork => "changed_in_fork",
            ChangeClass::ChangedBoth => "changed_both",
            ChangeClass::NewUpstream => "new_upstream",
            ChangeClass::NewInFork => "new_in_fork",
            ChangeClass::AddedBoth => "added_both",
            ChangeClass::DeletedUpstream => "deleted_upstream",
            ChangeClass::RenamedUpstream => "renamed_upstream",
            ChangeClass::DeletedInFork => "deleted_in_fork",
            ChangeClass::DeletedBoth => "deleted_both",
        }
    }

    /// Parses [`ChangeClass::name`].
    pub fn parse(s: &str) -> Option<ChangeClass> {
        let s = s.replace('-', "_");
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// What the merge does with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "UpstreamOutcome")]
pub enum Outcome {
    /// One side's version is taken as it is (or nothing changes).
    Clean,
    /// Both sides' changes merged without a conflict.
    Merged,
    /// Merged without a conflict, but both sides changed the same function: read it.
    Review,
    /// Keys or lines both sides changed differently: choose, or edit the file.
    Conflict,
    /// A choice only the user can make (an item deleted upstream, an ID changed in place).
    Decision,
}

/// The kind of choice an item needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "UpstreamDecisionKind")]
pub enum DecisionKind {
    /// Upstream deleted an item the fork has.
    DeletedUpstream,
    /// Upstream changed the item's ID in place.
    RenamedUpstream,
    /// The fork deleted an item upstream changed.
    DeletedInFork,
    /// Both sides moved the item, to different paths.
    MovedBoth,
    /// A file both sides changed that cannot be merged by lines (binary, deleted on one side).
    WholeFile,
}

/// One answer to a decision.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamDecisionOption")]
pub struct DecisionOption {
    /// What `--take` says for it.
    pub take: Take,
    /// What it does, in words.
    pub label: String,
}

/// A choice the merge leaves to the user.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamDecision")]
pub struct Decision {
    /// Which kind.
    pub kind: DecisionKind,
    /// The question, in words.
    pub question: String,
    /// The answers.
    pub options: Vec<DecisionOption>,
    /// The answer Prowl would pick (the user must still pick one).
    pub proposed: Take,
    /// The answer taken (`prowl upstream resolve`).
    pub chosen: Option<Take>,
}

/// One item in the plan.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamItem")]
pub struct ItemChange {
    /// The item's ID (the fork's, for an ID upstream changed).
    pub id: String,
    /// `rule`, `policy`, ….
    pub analysis_type: String,
    /// How it changed.
    pub class: ChangeClass,
    /// What the merge does with it.
    pub outcome: Outcome,
    /// Its spec after the merge (or where it was, when it goes).
    pub path: String,
    /// Its spec at the merge base.
    pub base_path: Option<String>,
    /// Its spec in the fork.
    pub ours_path: Option<String>,
    /// Its spec upstream.
    pub theirs_path: Option<String>,
    /// Its code file after the merge.
    pub code_path: Option<String>,
    /// The new ID, for an ID upstream changed in place.
    pub renamed_to: Option<String>,
    /// A move of its files, in words (`moved upstream: a.yml -> b.yml`).
    pub moved: Option<String>,
    /// Upstream lists the ID in `deprecated.txt`.
    pub deprecated: bool,
    /// Spec keys both sides changed differently (resolved ones included, see `resolved`).
    pub conflicts: Vec<KeyConflict>,
    /// Keys resolved by a choice, with the side taken.
    pub resolved: BTreeMap<String, Take>,
    /// A file of the item was merged by lines with conflicts (markers left in it).
    pub line_conflict: bool,
    /// Why the item should be read even though it merged (functions both sides changed).
    pub review: Vec<String>,
    /// Keys both sides changed that merged, with how.
    pub merged: Vec<String>,
    /// The choice it needs.
    pub decision: Option<Decision>,
    /// Notes (a file that could not be merged by key, an upstream item not added).
    pub notes: Vec<String>,
}

impl ItemChange {
    /// Whether the item still needs the user (an open conflict or an untaken decision).
    pub fn needs_user(&self) -> bool {
        matches!(self.outcome, Outcome::Conflict | Outcome::Decision)
    }
}

/// A file that is not part of an analysis item (a helper's data, docs, CI config, …).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamFile")]
pub struct FileChange {
    /// Its path.
    pub path: String,
    /// How it changed.
    pub class: ChangeClass,
    /// What the merge does with it.
    pub outcome: Outcome,
    /// Not text: merged only by taking a side.
    pub binary: bool,
    /// The choice it needs, when it cannot be merged.
    pub decision: Option<Decision>,
}

/// The three versions of one file of an item, and the merge's result.
#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamThreeWay")]
pub struct ThreeWay {
    /// The file's path after the merge.
    pub path: Option<String>,
    /// At the merge base.
    pub base: Option<String>,
    /// In the fork.
    pub ours: Option<String>,
    /// Upstream.
    pub theirs: Option<String>,
    /// The proposed result (with conflict markers where the user must choose); `None` when
    /// the file goes.
    pub result: Option<String>,
}

/// The texts of an item for a three-way view.
#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamItemTexts")]
pub struct ItemTexts {
    /// The spec.
    pub spec: ThreeWay,
    /// The code file.
    pub code: ThreeWay,
}

/// A user's choices, kept with the merge state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolutions {
    /// By item ID (or file path): the choice.
    pub items: BTreeMap<String, Resolution>,
}

/// The choice for one item or file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    /// A side for the whole item: every conflict, and its decision.
    pub take: Option<Take>,
    /// A side per spec key (`Severity`, `Tests[name]`).
    pub keys: BTreeMap<String, Take>,
}

/// The merge of three commits.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UpstreamPlan")]
pub struct Plan {
    /// The merge base (full hex).
    pub base: String,
    /// The fork's commit.
    pub ours: String,
    /// Upstream's commit.
    pub theirs: String,
    /// Every item (unchanged ones included), decisions first.
    pub items: Vec<ItemChange>,
    /// Files that are not part of an item and changed on some side.
    pub files: Vec<FileChange>,
    /// Items per class.
    pub counts: BTreeMap<ChangeClass, usize>,
    /// What applying the plan changes in the fork's tree: path → new bytes (None: delete).
    #[serde(skip)]
    pub writes: BTreeMap<String, Option<Vec<u8>>>,
    /// File modes for written files that are new to the fork (upstream's mode).
    #[serde(skip)]
    pub modes: BTreeMap<String, i32>,
    /// The three texts and the result of every item that changed, by ID.
    #[serde(skip)]
    pub texts: BTreeMap<String, ItemTexts>,
}

impl Plan {
    /// Items and files that still need the user.
    pub fn open_questions(&self) -> usize {
        self.items.iter().filter(|i| i.needs_user()).count()
            + self
                .files
                .iter()
                .filter(|f| matches!(f.outcome, Outcome::Conflict | Outcome::Decision))
                .count()
    }

    /// The IDs of items whose merged content differs from the fork's: what must be checked.
    pub fn touched_items(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|i| {
                let p = [Some(&i.path), i.code_path.as_ref()];
                p.iter().flatten().any(|p| self.writes.contains_key(*p))
            })
            .map(
                |i| match (&i.renamed_to, i.decision.as_ref().and_then(|d| d.chosen)) {
                    (Some(new), Some(Take::Both | Take::Theirs)) => new.clone(),
                    _ => i.id.clone(),
                },
            )
            .collect()
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading git failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// Reads the three sides and merges them.
pub fn plan(
    repo: &Repository,
    base: Oid,
    ours: Oid,
    theirs: Oid,
    resolutions: &Resolutions,
) -> Result<Plan, PlanError> {
    let mut cache = SpecCache::default();
    let b = read(repo, base, &mut cache)?;
    let o = read(repo, ours, &mut cache)?;
    let t = read(repo, theirs, &mut cache)?;
    let mut planner = Planner {
        repo,
        b: &b,
        o: &o,
        t: &t,
        res: resolutions,
        writes: BTreeMap::new(),
        modes: BTreeMap::new(),
        texts: BTreeMap::new(),
    };
    let items = planner.items();
    let files = planner.files();
    let mut counts = BTreeMap::new();
    for i in &items {
        *counts.entry(i.class).or_insert(0) += 1;
    }
    let mut items = items;
    let rank = |i: &ItemChange| match i.outcome {
        Outcome::Decision => 0,
        Outcome::Conflict => 1,
        Outcome::Review => 2,
        Outcome::Merged => 3,
        Outcome::Clean => 4,
    };
    items.sort_by(|a, c| {
        rank(a)
            .cmp(&rank(c))
            .then(
                ChangeClass::ALL
                    .iter()
                    .position(|x| *x == a.class)
                    .cmp(&ChangeClass::ALL.iter().position(|x| *x == c.class)),
            )
            .then(a.id.cmp(&c.id))
    });
    Ok(Plan {
        base: base.to_string(),
        ours: ours.to_string(),
        theirs: theirs.to_string(),
        items,
        files,
        counts,
        writes: planner.writes,
        modes: planner.modes,
        texts: planner.texts,
    })
}

struct Planner<'a> {
    repo: &'a Repository,
    b: &'a Snapshot,
    o: &'a Snapshot,
    t: &'a Snapshot,
    res: &'a Resolutions,
    writes: BTreeMap<String, Option<Vec<u8>>>,
    modes: BTreeMap<String, i32>,
    texts: BTreeMap<String, ItemTexts>,
}

/// The result of merging one file's content.
struct Merged {
    bytes: Vec<u8>,
    conflicts: Vec<KeyConflict>,
    resolved: BTreeMap<String, Take>,
    line_conflict: bool,
    merged: Vec<String>,
    review: Vec<String>,
    notes: Vec<String>,
}

fn text_of(bytes: &[u8]) -> Option<String> {
    if is_binary(bytes) {
        None
    } else {
        Some(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The class of something each side has or not; `same` compares two sides' versions.
fn classify<T>(
    b: Option<&T>,
    o: Option<&T>,
    t: Option<&T>,
    same: impl Fn(&T, &T) -> bool,
) -> ChangeClass {
    match (b, o, t) {
        (Some(b), Some(o), Some(t)) => match (same(b, o), same(b, t)) {
            (true, true) => ChangeClass::Unchanged,
            (true, false) => ChangeClass::ChangedUpstream,
            (false, true) => ChangeClass::ChangedInFork,
            (false, false) => ChangeClass::ChangedBoth,
        },
        (None, None, Some(_)) => ChangeClass::NewUpstream,
        (None, Some(_), None) => ChangeClass::NewInFork,
        (None, Some(_), Some(_)) => ChangeClass::AddedBoth,
        (Some(_), Some(_), None) => ChangeClass::DeletedUpstream,
        (Some(_), None, Some(_)) => ChangeClass::DeletedInFork,
        (Some(_), None, None) | (None, None, None) => ChangeClass::DeletedBoth,
    }
}

/// How a line merge settles conflicting regions for a side taken (markers without one).
fn favor_for(take: Option<Take>) -> Favor {
    match take {
        None => Favor::Markers,
        Some(Take::Ours) => Favor::Ours,
        Some(Take::Theirs) => Favor::Theirs,
        Some(Take::Both) => Favor::Union,
    }
}

/// Which path wins: the same on both sides, or the side that moved it.
fn pick_path(b: Option<&str>, o: Option<&str>, t: Option<&str>) -> Result<Option<String>, ()> {
    if o == t || b == t {
        Ok(o.map(str::to_owned))
    } else if b == o {
        Ok(t.map(str::to_owned))
    } else {
        Err(())
    }
}

impl Planner<'_> {
    fn blob(&self, oid: Option<Oid>) -> Option<Vec<u8>> {
        let oid = oid?;
        self.repo.find_blob(oid).ok().map(|b| b.content().to_vec())
    }

    fn take(&self, key: &str) -> Option<Take> {
        self.res.items.get(key).and_then(|r| r.take)
    }

    /// Writes `bytes` at `path` unless the fork already has exactly that.
    fn put(&mut self, path: &str, bytes: Vec<u8>, mode_from: Option<&Snapshot>) {
        let same =
            self.o.files.get(path).is_some_and(|(oid, _)| {
                Oid::hash_object(ObjectType::Blob, &bytes).ok() == Some(*oid)
            });
        if same {
            self.writes.remove(path);
            return;
        }
        if !self.o.files.contains_key(path) {
            if let Some((_, mode)) = mode_from.and_then(|s| s.files.get(path)) {
                self.modes.insert(path.to_owned(), *mode);
            }
        }
        self.writes.insert(path.to_owned(), Some(bytes));
    }

    /// Deletes `path` from the fork (unless something is written there).
    fn remove(&mut self, path: &str) {
        if self.o.files.contains_key(path) && !self.writes.contains_key(path) {
            self.writes.insert(path.to_owned(), None);
        }
    }

    /// Puts one side's version of an item in place of the fork's.
    fn take_side(&mut self, from: &ItemVersion, side: &Snapshot, ours: Option<&ItemVersion>) {
        if let Some(o) = ours {
            if o.spec_path != from.spec_path {
                self.remove(&o.spec_path.clone());
            }
            if let Some(c) = &o.code_path {
                if Some(c) != from.code_path.as_ref() && o.code.is_some() {
                    self.remove(&c.clone());
                }
            }
        }
        if let Some(bytes) = self.blob(Some(from.spec)) {
            self.put(&from.spec_path.clone(), bytes, Some(side));
        }
        if let (Some(path), Some(bytes)) = (from.code_path.clone(), self.blob(from.code)) {
            self.put(&path, bytes, Some(side));
        }
    }

    fn remove_item(&mut self, o: &ItemVersion) {
        self.remove(&o.spec_path.clone());
        if let (Some(c), Some(_)) = (o.code_path.clone(), o.code) {
            self.remove(&c);
        }
    }

    fn items(&mut self) -> Vec<ItemChange> {
        let mut ids: BTreeSet<&String> = self.b.items.keys().collect();
        ids.extend(self.o.items.keys());
        ids.extend(self.t.items.keys());
        // IDs changed in place upstream: a base item gone upstream whose spec path (or code
        // file) upstream now holds a new ID the fork does not have.
        let mut renamed: BTreeMap<String, String> = BTreeMap::new();
        let mut consumed: BTreeSet<String> = BTreeSet::new();
        for (id, bv) in &self.b.items {
            if self.t.items.contains_key(id) || !self.o.items.contains_key(id) {
                continue;
            }
            let candidate = self.t.items.values().find(|tv| {
                !self.b.items.contains_key(&tv.id)
                    && !self.o.items.contains_key(&tv.id)
                    && !consumed.contains(&tv.id)
                    && tv.analysis_type == bv.analysis_type
                    && (tv.spec_path == bv.spec_path
                        || (tv.code_path.is_some() && tv.code_path == bv.code_path))
            });
            if let Some(tv) = candidate {
                renamed.insert(id.clone(), tv.id.clone());
                consumed.insert(tv.id.clone());
            }
        }
        let mut out = Vec::new();
        for id in ids {
            if consumed.contains(id) {
                continue;
            }
            let b = self.b.items.get(id);
            // A side whose spec at the same path no longer parses still has the item.
            let o = self
                .o
                .items
                .get(id)
                .cloned()
                .or_else(|| b.and_then(|b| self.o.broken_version(b)));
            let t = match renamed.get(id) {
                Some(new) => self.t.items.get(new).cloned(),
                None => self
                    .t
                    .items
                    .get(id)
                    .cloned()
                    .or_else(|| b.and_then(|b| self.t.broken_version(b))),
            };
            out.push(self.item(id, b, o.as_ref(), t.as_ref(), renamed.get(id).cloned()));
        }
        out
    }

    fn item(
        &mut self,
        id: &str,
        b: Option<&ItemVersion>,
        o: Option<&ItemVersion>,
        t: Option<&ItemVersion>,
        renamed_to: Option<String>,
    ) -> ItemChange {
        let any = o.or(t).or(b).expect("an item is on some side");
        let class = if renamed_to.is_some() {
            ChangeClass::RenamedUpstream
        } else {
            classify(b, o, t, |x, y| x.same_as(y))
        };
        let mut change = ItemChange {
            id: id.to_owned(),
            analysis_type: any.analysis_type.clone(),
            class,
            outcome: Outcome::Clean,
            path: o
                .or(t)
                .or(b)
                .map(|v| v.spec_path.clone())
                .unwrap_or_default(),
            base_path: b.map(|v| v.spec_path.clone()),
            ours_path: o.map(|v| v.spec_path.clone()),
            theirs_path: t.map(|v| v.spec_path.clone()),
            code_path: o.or(t).and_then(|v| v.code_path.clone()),
            renamed_to: renamed_to.clone(),
            moved: None,
            deprecated: self.t.deprecated.contains(id),
            conflicts: Vec::new(),
            resolved: BTreeMap::new(),
            line_conflict: false,
            review: Vec::new(),
            merged: Vec::new(),
            decision: None,
            notes: Vec::new(),
        };
        for (side, from, to) in [("upstream", b, t), ("in the fork", b, o)] {
            if let (Some(f), Some(to)) = (from, to) {
                if f.spec_path != to.spec_path {
                    change.moved =
                        Some(format!("moved {side}: {} -> {}", f.spec_path, to.spec_path));
                }
            }
        }
        let chosen = self.take(id);
        match class {
            ChangeClass::Unchanged
            | ChangeClass::ChangedInFork
            | ChangeClass::NewInFork
            | ChangeClass::DeletedBoth => {}
            ChangeClass::ChangedUpstream | ChangeClass::NewUpstream => {
                let t = t.expect("upstream has it");
                self.take_side(t, self.t, o);
                change.path = t.spec_path.clone();
                change.code_path = t.code_path.clone();
            }
            ChangeClass::ChangedBoth | ChangeClass::AddedBoth => {
                self.merge_both(&mut change, b, o.expect("fork"), t.expect("upstream"));
            }
            ChangeClass::DeletedUpstream => {
                let o = o.expect("fork");
                let unchanged = b.is_some_and(|b| b.same_content(o));
                let why = if change.deprecated {
                    "Panther deprecated it (deprecated.txt)"
                } else {
                    "upstream deleted it"
                };
                let decision =
                    Decision {
                        kind: DecisionKind::DeletedUpstream,
                        question: format!(
                        "{why}; the fork has it{}: keep it as a local item, or take the deletion?",
                        if unchanged { " unchanged" } else { " with local changes" }
                    ),
                        options: vec![
                            DecisionOption {
                                take: Take::Ours,
                                label: "keep it as a local item".into(),
                            },
                            DecisionOption {
                                take: Take::Theirs,
                                label: "take the deletion".into(),
                            },
                        ],
                        proposed: if unchanged { Take::Theirs } else { Take::Ours },
                        chosen: chosen.map(|c| if c == Take::Both { Take::Ours } else { c }),
                    };
                if decision.chosen == Some(Take::Theirs) {
                    self.remove_item(o);
                }
                change.decision = Some(decision);
            }
            ChangeClass::RenamedUpstream => {
                let (o, t) = (o.expect("fork"), t.expect("upstream"));
                let new_id = renamed_to.clone().unwrap_or_default();
                let decision = Decision {
                    kind: DecisionKind::RenamedUpstream,
                    question: format!(
                        "upstream changed the ID {id} to {new_id} in place: follow the rename (the fork's changes onto {new_id}), keep {id} as a local item, or take upstream's {new_id} as it is?"
                    ),
                    options: vec![
                        DecisionOption { take: Take::Both, label: format!("follow the rename: {new_id} with the fork's changes") },
                        DecisionOption { take: Take::Ours, label: format!("keep {id} as a local item") },
                        DecisionOption { take: Take::Theirs, label: format!("take upstream's {new_id}, drop the fork's {id}") },
                    ],
                    proposed: Take::Both,
                    chosen,
                };
                match chosen {
                    Some(Take::Both) => {
                        self.merge_both(&mut change, b, o, t);
                    }
                    Some(Take::Theirs) => {
                        self.take_side(t, self.t, Some(o));
                        change.path = t.spec_path.clone();
                        change.code_path = t.code_path.clone();
                    }
                    Some(Take::Ours) => {
                        let collides = t.spec_path == o.spec_path
                            || (t.code_path.is_some() && t.code_path == o.code_path);
                        if collides {
                            change.notes.push(format!(
                                "upstream's {new_id} is not added: its file is the fork's {id}"
                            ));
                        } else {
                            self.take_side(t, self.t, None);
                        }
                    }
                    None => {}
                }
                change.decision = Some(decision);
            }
            ChangeClass::DeletedInFork => {
                let t = t.expect("upstream");
                if b.is_some_and(|b| b.same_content(t)) {
                    // Upstream did not change what the fork deleted: it stays deleted.
                } else {
                    let decision = Decision {
                        kind: DecisionKind::DeletedInFork,
                        question: "the fork deleted it and upstream changed it: keep it deleted, or take upstream's version?".into(),
                        options: vec![
                            DecisionOption { take: Take::Ours, label: "keep it deleted".into() },
                            DecisionOption { take: Take::Theirs, label: "take upstream's version".into() },
                        ],
                        proposed: Take::Ours,
                        chosen: chosen.map(|c| if c == Take::Both { Take::Theirs } else { c }),
                    };
                    if decision.chosen == Some(Take::Theirs) {
                        self.take_side(t, self.t, None);
                        change.path = t.spec_path.clone();
                    }
                    change.decision = Some(decision);
                }
            }
        }
        change.outcome = if change.decision.as_ref().is_some_and(|d| d.chosen.is_none()) {
            Outcome::Decision
        } else if change
            .conflicts
            .iter()
            .any(|c| !change.resolved.contains_key(&c.path))
            || change.line_conflict
        {
            Outcome::Conflict
        } else if !change.review.is_empty() {
            Outcome::Review
        } else if !change.merged.is_empty() {
            Outcome::Merged
        } else {
            Outcome::Clean
        };
        if class != ChangeClass::Unchanged {
            let texts = self.texts_of(&change, b, o, t);
            self.texts.insert(id.to_owned(), texts);
        }
        change
    }

    fn texts_of(
        &self,
        change: &ItemChange,
        b: Option<&ItemVersion>,
        o: Option<&ItemVersion>,
        t: Option<&ItemVersion>,
    ) -> ItemTexts {
        let text = |bytes: Option<Vec<u8>>| bytes.and_then(|b| text_of(&b));
        let result = |path: Option<&String>, ours: Option<Oid>| -> Option<String> {
            let path = path?;
            match self.writes.get(path) {
                Some(Some(bytes)) => text_of(bytes),
                Some(None) => None,
                None => text(self.blob(self.o.files.get(path).map(|(o, _)| *o).or(ours))),
            }
        };
        let gone = change.decision.as_ref().and_then(|d| d.chosen) == Some(Take::Theirs)
            && change.class == ChangeClass::DeletedUpstream;
        ItemTexts {
            spec: ThreeWay {
                path: Some(change.path.clone()),
                base: text(b.and_then(|v| self.blob(Some(v.spec)))),
                ours: text(o.and_then(|v| self.blob(Some(v.spec)))),
                theirs: text(t.and_then(|v| self.blob(Some(v.spec)))),
                result: if gone {
                    None
                } else {
                    result(Some(&change.path), None)
                },
            },
            code: ThreeWay {
                path: change.code_path.clone(),
                base: text(b.and_then(|v| self.blob(v.code))),
                ours: text(o.and_then(|v| self.blob(v.code))),
                theirs: text(t.and_then(|v| self.blob(v.code))),
                result: if gone {
                    None
                } else {
                    result(change.code_path.as_ref(), None)
                },
            },
        }
    }

    /// An item both sides changed (or added): paths, spec by key, code by lines.
    fn merge_both(
        &mut self,
        change: &mut ItemChange,
        b: Option<&ItemVersion>,
        o: &ItemVersion,
        t: &ItemVersion,
    ) {
        let res = self.res.items.get(&change.id).cloned().unwrap_or_default();
        // Paths: the side that moved; both moved elsewhere is a decision.
        let spec_path = pick_path(
            b.map(|v| v.spec_path.as_str()),
            Some(&o.spec_path),
            Some(&t.spec_path),
        );
        let code_path = pick_path(
            b.and_then(|v| v.code_path.as_deref()),
            o.code_path.as_deref(),
            t.code_path.as_deref(),
        );
        let (spec_path, code_path) = match (spec_path, code_path) {
            (Ok(s), Ok(c)) => (s.unwrap_or_else(|| o.spec_path.clone()), c),
            _ => {
                let chosen = res.take.filter(|t| *t != Take::Both);
                change.decision = Some(Decision {
                    kind: DecisionKind::MovedBoth,
                    question: format!(
                        "both sides moved it: the fork to {}, upstream to {}; which path?",
                        o.spec_path, t.spec_path
                    ),
                    options: vec![
                        DecisionOption {
                            take: Take::Ours,
                            label: format!("the fork's path, {}", o.spec_path),
                        },
                        DecisionOption {
                            take: Take::Theirs,
                            label: format!("upstream's path, {}", t.spec_path),
                        },
                    ],
                    proposed: Take::Ours,
                    chosen,
                });
                if chosen == Some(Take::Theirs) {
                    (t.spec_path.clone(), t.code_path.clone())
                } else {
                    (o.spec_path.clone(), o.code_path.clone())
                }
            }
        };
        change.path = spec_path.clone();
        change.code_path = code_path.clone();
        // The spec.
        let spec = self.merge_content(
            b.and_then(|v| self.blob(Some(v.spec))),
            self.blob(Some(o.spec)),
            self.blob(Some(t.spec)),
            &res,
            true,
        );
        // The code.
        let code = if o.code.is_some() || t.code.is_some() {
            Some(self.merge_content(
                b.and_then(|v| self.blob(v.code)),
                self.blob(o.code),
                self.blob(t.code),
                &res,
                false,
            ))
        } else {
            None
        };
        // Remove the fork's files that moved away, then write the results.
        if o.spec_path != spec_path {
            self.remove(&o.spec_path.clone());
        }
        if let Some(c) = &o.code_path {
            if Some(c) != code_path.as_ref() && o.code.is_some() {
                self.remove(&c.clone());
            }
        }
        self.put(&spec_path, spec.bytes.clone(), Some(self.t));
        change.conflicts = spec.conflicts;
        change.resolved = spec.resolved;
        change.merged.extend(spec.merged);
        change.notes.extend(spec.notes);
        change.line_conflict = spec.line_conflict;
        if let Some(m) = &change.moved {
            change
                .merged
                .push(format!("{m}; the other side's changes follow"));
        }
        if let (Some(code), Some(path)) = (code, code_path) {
            if code.bytes.is_empty() && o.code.is_none() && t.code.is_none() {
                // Neither side has the file.
            } else {
                self.put(&path, code.bytes, Some(self.t));
            }
            change.line_conflict |= code.line_conflict;
            change.review.extend(code.review);
            change.merged.extend(code.merged);
            change.notes.extend(code.notes);
        }
    }

    /// Merges one file's three versions: a spec by key (falling back to lines), code by lines
    /// with the review of functions both sides changed.
    fn merge_content(
        &self,
        b: Option<Vec<u8>>,
        o: Option<Vec<u8>>,
        t: Option<Vec<u8>>,
        res: &Resolution,
        is_spec: bool,
    ) -> Merged {
        let mut m = Merged {
            bytes: Vec::new(),
            conflicts: Vec::new(),
            resolved: BTreeMap::new(),
            line_conflict: false,
            merged: Vec::new(),
            review: Vec::new(),
            notes: Vec::new(),
        };
        let which = if is_spec { "spec" } else { "code" };
        if o == t || b == t {
            m.bytes = o.or(t).unwrap_or_default();
            return m;
        }
        if b == o {
            m.bytes = t.unwrap_or_default();
            return m;
        }
        let (ob, tb) = (o.unwrap_or_default(), t.unwrap_or_default());
        let bb = b.unwrap_or_default();
        let texts = (text_of(&bb), text_of(&ob), text_of(&tb));
        let (Some(bt), Some(ot), Some(tt)) = texts else {
            m.notes
                .push(format!("the {which} file is not text: take a side"));
            m.bytes = match res.take {
                Some(Take::Theirs) => tb,
                _ => ob,
            };
            m.line_conflict = res.take.is_none();
            return m;
        };
        if ob.len().max(tb.len()) > MAX_LINE_MERGE_BYTES {
            m.notes.push(format!(
                "the {which} file is too large to merge by lines: take a side"
            ));
            m.bytes = if res.take == Some(Take::Theirs) {
                tb
            } else {
                ob
            };
            m.line_conflict = res.take.is_none();
            return m;
        }
        if is_spec {
            let base = if bb.is_empty() {
                None
            } else {
                Some(bt.as_str())
            };
            if let Some(spec) = merge_spec(base, &ot, &tt) {
                let mut choices = res.keys.clone();
                for c in spec.conflicts() {
                    if let Some(t) = res.keys.get(&c.path).copied().or(res.take) {
                        choices.insert(c.path.clone(), t);
                        m.resolved.insert(c.path.clone(), t);
                    }
                }
                m.bytes = spec.render(&choices, None).into_bytes();
                m.conflicts = spec.conflicts().into_iter().cloned().collect();
                m.merged = spec.merged_keys;
                if m.merged.is_empty() && m.conflicts.is_empty() {
                    m.merged.push("spec: each side's keys".into());
                }
                return m;
            }
            m.notes.push("the spec could not be merged key by key (it does not parse on some side, or is not a block mapping): merged by lines".into());
        }
        let favor = favor_for(res.take);
        let lines = merge_lines(bt.as_bytes(), ot.as_bytes(), tt.as_bytes(), favor);
        m.line_conflict = lines.conflicted;
        m.bytes = lines.text;
        if !lines.conflicted {
            m.merged.push(format!("{which}: by lines"));
            if !is_spec {
                for f in functions_changed_on_both_sides(&bt, &ot, &tt) {
                    m.review.push(format!(
                        "both sides changed `{f}()`: the lines merged, the logic may not"
                    ));
                }
            }
        }
        m
    }

    /// Files that belong to no item.
    fn files(&mut self) -> Vec<FileChange> {
        let mut claimed: BTreeSet<String> = BTreeSet::new();
        for s in [self.b, self.o, self.t] {
            claimed.extend(s.claimed().into_iter().map(str::to_owned));
        }
        let mut paths: BTreeSet<String> = BTreeSet::new();
        for s in [self.b, self.o, self.t] {
            paths.extend(s.files.keys().filter(|p| !claimed.contains(*p)).cloned());
        }
        let mut out = Vec::new();
        for path in paths {
            let b = self.b.files.get(&path).map(|f| f.0);
            let o = self.o.files.get(&path).map(|f| f.0);
            let t = self.t.files.get(&path).map(|f| f.0);
            let class = classify(b.as_ref(), o.as_ref(), t.as_ref(), |x, y| x == y);
            if class == ChangeClass::Unchanged {
                continue;
            }
            let take = self.take(&path);
            let mut change = FileChange {
                path: path.clone(),
                class,
                outcome: Outcome::Clean,
                binary: false,
                decision: None,
            };
            // The trivial cases by blob.
            if o == t || b == t {
                out.push(change);
                continue;
            }
            if b == o {
                match t {
                    Some(_) => {
                        let bytes = self.blob(t).unwrap_or_default();
                        self.put(&path, bytes, Some(self.t));
                    }
                    None => self.remove(&path),
                }
                out.push(change);
                continue;
            }
            // Both changed: text by lines; binary, deleted on one side or huge: a decision.
            let (bb, ob, tb) = (self.blob(b), self.blob(o), self.blob(t));
            let mergeable = ob.as_ref().zip(tb.as_ref()).filter(|(x, y)| {
                !is_binary(x)
                    && !is_binary(y)
                    && !bb.as_deref().is_some_and(is_binary)
                    && x.len().max(y.len()) <= MAX_LINE_MERGE_BYTES
            });
            if let Some((ob, tb)) = mergeable {
                let favor = favor_for(take);
                let m = merge_lines(bb.as_deref().unwrap_or(b""), ob, tb, favor);
                change.outcome = if m.conflicted {
                    Outcome::Conflict
                } else {
                    Outcome::Merged
                };
                self.put(&path, m.text, Some(self.t));
            } else {
                change.binary = [&bb, &ob, &tb]
                    .iter()
                    .any(|x| x.as_deref().is_some_and(is_binary));
                let chosen = take.filter(|t| *t != Take::Both);
                change.decision = Some(Decision {
                    kind: DecisionKind::WholeFile,
                    question: format!(
                        "both sides changed {path}{}: take the fork's or upstream's?",
                        if change.binary { " (not text)" } else { "" }
                    ),
                    options: vec![
                        DecisionOption {
                            take: Take::Ours,
                            label: "the fork's".into(),
                        },
                        DecisionOption {
                            take: Take::Theirs,
                            label: "upstream's".into(),
                        },
                    ],
                    proposed: Take::Ours,
                    chosen,
                });
                if chosen == Some(Take::Theirs) {
                    match tb {
                        Some(bytes) => self.put(&path, bytes, Some(self.t)),
                        None => self.remove(&path),
                    }
                }
                change.outcome = if chosen.is_some() {
                    Outcome::Clean
                } else {
                    Outcome::Decision
                };
            }
            out.push(change);
        }
        out
    }
}
