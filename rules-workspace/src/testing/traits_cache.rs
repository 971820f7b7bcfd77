//! The global helpers' traits (`analyze_globals`: which helpers tie their importers to one
//! worker) kept on disk between runs. The traits are a pure function of the helpers' code and of
//! the harness that reads it, so a run whose helpers are byte for byte the last run's reuses
//! them instead of parsing every helper again in Python (about 0.1 s on panther-analysis, on the
//! run's critical path).
//!
//! Stored as JSON (`{"key": "<hash>", "traits": {...}}`) in
//! `<cache>/traits/<workspace key>.json`, one entry per workspace, written atomically. The key
//! covers the harness's source, Prowl's version and every helper's ID, path and bytes; a missing,
//! unreadable or stale file means "ask the worker", as without a cache.

use crate::engine::messages::{GlobalFile, GlobalTraits};
use crate::env::{cache_dir, fnv1a, workspace_key};
use std::path::{Path, PathBuf};

/// The traits of one set of helpers, as remembered for a workspace.
#[derive(Debug)]
pub(super) struct TraitsCache {
    path: PathBuf,
    key: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    traits: GlobalTraits,
}

impl TraitsCache {
    /// The cache entry for these helpers of the workspace at `root` (reads each helper).
    pub(super) fn new(root: &Path, globals: &[GlobalFile]) -> TraitsCache {
        Self::in_cache(&cache_dir(), root, globals)
    }

    /// [`TraitsCache::new`] in the cache folder `cache`.
    fn in_cache(cache: &Path, root: &Path, globals: &[GlobalFile]) -> TraitsCache {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        TraitsCache {
            path: cache
                .join("traits")
                .join(format!("{}.json", workspace_key(&root))),
            key: key(globals),
        }
    }

    /// The traits remembered for exactly these helpers, if any.
    pub(super) fn get(&self) -> Option<GlobalTraits> {
        let bytes = std::fs::read(&self.path).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.key == self.key).then_some(entry.traits)
    }

    /// Remembers the traits of these helpers (errors are ignored: it is only a shortcut).
    pub(super) fn put(&self, traits: &GlobalTraits) {
        let Some(dir) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let entry = Entry {
            key: self.key.clone(),
            traits: traits.clone(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if tmp.write_all(&text).is_ok() {
                let _ = tmp.persist(&self.path);
            }
        }
    }
}

/// A hash of what the traits depend on: the harness that finds them, Prowl's version, and each
/// helper's ID, path and bytes (an unreadable helper is "cannot be analysed", also a trait).
fn key(globals: &[GlobalFile]) -> String {
    let mut data: Vec<u8> = Vec::new();
    let mut part = |bytes: &[u8]| {
        data.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        data.extend_from_slice(bytes);
    };
    part(crate::engine::embedded::harness_source().as_bytes());
    part(env!("CARGO_PKG_VERSION").as_bytes());
    for g in globals {
        part(g.id.as_bytes());
        match &g.path {
            Some(path) => {
                part(path.as_bytes());
                match crate::workspace::read_bounded(
                    Path::new(path),
                    crate::workspace::save::MAX_TEXT_BYTES,
                ) {
                    Ok(bytes) => part(&bytes),
                    Err(_) => part(b"\0unreadable"),
                }
            }
            None => part(b"\0none"),
        }
    }
    format!("{:016x}-{}", fnv1a(&data), data.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::messages::GlobalTrait;

    fn traits(sticky: bool) -> GlobalTraits {
        let mut t = GlobalTraits::default();
        t.traits.insert(
            "helper".into(),
            GlobalTrait {
                sticky,
                reasons: if sticky {
                    vec!["line 3: runs `Expr` when imported".into()]
                } else {
                    Vec::new()
                },
            },
        );
        t
    }

    #[test]
    fn traits_are_reused_only_for_the_same_helpers_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let helper = dir.path().join("helper.py");
        std::fs::write(&helper, "X = 1\n").unwrap();
        let globals = vec![GlobalFile {
            id: "helper".into(),
            path: Some(helper.display().to_string()),
        }];
        let at = |globals: &[GlobalFile]| TraitsCache::in_cache(cache.path(), dir.path(), globals);
        {
            let c = at(&globals);
            assert!(c.get().is_none(), "nothing remembered yet");
            c.put(&traits(false));
            let again = at(&globals).get().unwrap();
            assert_eq!(again.sticky().count(), 0);

            // The helper changes: the remembered traits are not used.
            std::fs::write(&helper, "print('loaded')\n").unwrap();
            let changed = at(&globals);
            assert!(changed.get().is_none());
            changed.put(&traits(true));
            let sticky = at(&globals).get().unwrap();
            assert_eq!(sticky.sticky().collect::<Vec<_>>(), vec!["helper"]);

            // A helper more or less is another set.
            let more = vec![
                globals[0].clone(),
                GlobalFile {
                    id: "other".into(),
                    path: None,
                },
            ];
            assert!(at(&more).get().is_none());

            // A damaged file is no history.
            let path = at(&globals).path;
            std::fs::write(&path, b"{not json").unwrap();
            assert!(at(&globals).get().is_none());
        }
    }
}
