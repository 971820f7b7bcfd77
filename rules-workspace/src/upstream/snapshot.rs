//! One side of the merge read from git: every file of a commit's tree, and its analysis items
//! by ID (the spec PAT would read, and the file its `Filename` names).

use crate::spec::yaml;
use crate::spec::AnalysisType;
use crate::workspace::discover::{is_spec_path, normpath};
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Largest spec read to find its ID (PAT's specs are a few kB; a bigger YAML is a data file).
const MAX_SPEC_BYTES: usize = 4 << 20;

/// One analysis item in one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVersion {
    /// RuleID, PolicyID, GlobalID, ….
    pub id: String,
    /// `rule`, `policy`, ….
    pub analysis_type: String,
    /// The spec's path.
    pub spec_path: String,
    /// The spec's blob.
    pub spec: Oid,
    /// The path `Filename` names (resolved against the spec's folder), when it has one.
    pub code_path: Option<String>,
    /// That file's blob, when the commit has it.
    pub code: Option<Oid>,
}

impl ItemVersion {
    /// Same content at the same paths.
    pub fn same_as(&self, other: &ItemVersion) -> bool {
        self.spec == other.spec
            && self.code == other.code
            && self.spec_path == other.spec_path
            && self.code_path == other.code_path
    }

    /// Same content, wherever it is.
    pub fn same_content(&self, other: &ItemVersion) -> bool {
        self.spec == other.spec && self.code == other.code
    }
}

/// A commit's files and items.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every file (blob) of the tree: path → (blob, file mode).
    pub files: BTreeMap<String, (Oid, i32)>,
    /// Analysis items by ID (the first spec in path order when two share an ID).
    pub items: BTreeMap<String, ItemVersion>,
    /// IDs that appear in more than one spec (the later ones are not items here).
    pub duplicate_ids: Vec<(String, String)>,
    /// IDs listed in the root `deprecated.txt`, when there is one.
    pub deprecated: BTreeSet<String>,
    /// Specs that do not parse (or have no ID): path → blob.
    pub broken: BTreeMap<String, Oid>,
}

impl Snapshot {
    /// The item `other` (from another side) as this side has it when its spec, at the same
    /// path, no longer parses here: the same ID, this side's bytes.
    pub fn broken_version(&self, other: &ItemVersion) -> Option<ItemVersion> {
        let spec = *self.broken.get(&other.spec_path)?;
        Some(ItemVersion {
            id: other.id.clone(),
            analysis_type: other.analysis_type.clone(),
            spec_path: other.spec_path.clone(),
            spec,
            code_path: other.code_path.clone(),
            code: other
                .code_path
                .as_ref()
                .and_then(|c| self.files.get(c))
                .map(|(oid, _)| *oid),
        })
    }

    /// The paths an item claims (its spec and its code file).
    pub fn claimed(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for item in self.items.values() {
            out.insert(item.spec_path.as_str());
            if let Some(c) = &item.code_path {
                out.insert(c.as_str());
            }
        }
        out
    }
}

/// What a spec blob says about itself.
#[derive(Clone)]
enum SpecHead {
    /// (type, ID, Filename).
    Item(String, String, Option<String>),
    /// YAML that does not load, or an AnalysisType without its ID.
    Broken,
    /// Not an analysis spec (no AnalysisType): a plain file.
    Other,
}

/// Parses specs once per blob across the three sides.
#[derive(Default)]
pub struct SpecCache(HashMap<Oid, SpecHead>);

impl SpecCache {
    fn head(&mut self, repo: &Repository, oid: Oid) -> SpecHead {
        if let Some(h) = self.0.get(&oid) {
            return h.clone();
        }
        let head = (|| {
            let Ok(blob) = repo.find_blob(oid) else {
                return SpecHead::Other;
            };
            if blob.size() > MAX_SPEC_BYTES {
                return SpecHead::Other;
            }
            let Ok(loaded) = yaml::load_bytes(blob.content()) else {
                return SpecHead::Broken;
            };
            let Some(root) = loaded.root else {
                return SpecHead::Other;
            };
            let Some(t) = root
                .get("AnalysisType")
                .and_then(|t| t.as_str())
                .and_then(AnalysisType::parse)
            else {
                return SpecHead::Other;
            };
            let Some(id) = root.get(t.id_field()).and_then(|i| i.as_str()) else {
                return SpecHead::Broken;
            };
            let filename = root
                .get("Filename")
                .and_then(|f| f.as_str())
                .map(str::to_owned);
            SpecHead::Item(t.as_str().to_owned(), id.to_owned(), filename)
        })();
        self.0.insert(oid, head.clone());
        head
    }
}

/// Reads a commit's tree.
pub fn read(
    repo: &Repository,
    commit: Oid,
    cache: &mut SpecCache,
) -> Result<Snapshot, git2::Error> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut files = BTreeMap::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                files.insert(format!("{dir}{name}"), (entry.id(), entry.filemode()));
            }
        }
        TreeWalkResult::Ok
    })?;
    let mut snap = Snapshot {
        files,
        ..Snapshot::default()
    };
    let specs: Vec<(String, Oid)> = snap
        .files
        .iter()
        .filter(|(p, _)| is_spec_path(p))
        .map(|(p, (oid, _))| (p.clone(), *oid))
        .collect();
    for (path, oid) in specs {
        let (analysis_type, id, filename) = match cache.head(repo, oid) {
            SpecHead::Item(t, id, f) => (t, id, f),
            SpecHead::Broken => {
                snap.broken.insert(path, oid);
                continue;
            }
            SpecHead::Other => continue,
        };
        if snap.items.contains_key(&id) {
            snap.duplicate_ids.push((id, path));
            continue;
        }
        let code_path = filename.map(|f| {
            let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            normpath(&format!("{dir}/{f}"))
        });
        let code = code_path
            .as_ref()
            .and_then(|c| snap.files.get(c))
            .map(|(oid, _)| *oid);
        snap.items.insert(
            id.clone(),
            ItemVersion {
                id,
                analysis_type,
                spec_path: path,
                spec: oid,
                code_path,
                code,
            },
        );
    }
    if let Some((oid, _)) = snap.files.get("deprecated.txt") {
        if let Ok(blob) = repo.find_blob(*oid) {
            snap.deprecated = String::from_utf8_lossy(blob.content())
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
        }
    }
    Ok(snap)
}
