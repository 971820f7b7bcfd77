//! How long each detection's tests took last time, per workspace, so the pool can start the
//! slowest detections first (longest-processing-time scheduling: one slow policy started last
//! would leave the other workers idle at the end of the run). Only the order in which work is
//! handed out changes; output order is PAT's whatever the timings say.
//!
//! Stored as JSON (`{"<detection ID>": milliseconds}`) in
//! `<cache>/timings/<workspace key>.json`, written atomically; a missing or unreadable file
//! means "no history" and costs nothing.

use crate::env::{cache_dir, workspace_key};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Last run's milliseconds per detection ID for one workspace. The default is an empty
/// history that [`save`](Timings::save) never writes (for tests).
#[derive(Debug, Default)]
pub struct Timings {
    path: Option<PathBuf>,
    ms: HashMap<String, f64>,
    changed: bool,
}

impl Timings {
    /// The history of a workspace (empty if there is none).
    pub fn load(root: &Path) -> Timings {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let path = cache_dir()
            .join("timings")
            .join(format!("{}.json", workspace_key(&root)));
        let ms = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Timings {
            path: Some(path),
            ms,
            changed: false,
        }
    }

    /// The expected cost of a detection: last run's time, or the median of the known ones.
    pub fn estimate(&self, id: &str) -> f64 {
        if let Some(&v) = self.ms.get(id) {
            return v;
        }
        let mut known: Vec<f64> = self.ms.values().copied().collect();
        if known.is_empty() {
            return 1.0;
        }
        let mid = known.len() / 2;
        known.select_nth_unstable_by(mid, f64::total_cmp);
        known[mid]
    }

    /// Remembers how long a detection's tests took this run, in milliseconds; negative, NaN
    /// and infinite times are ignored.
    pub fn record(&mut self, id: &str, ms: f64) {
        if ms.is_finite() && ms >= 0.0 {
            self.ms.insert(id.to_owned(), ms);
            self.changed = true;
        }
    }

    /// Writes the history if it changed (errors are ignored: it is only a hint).
    pub fn save(&self) {
        let Some(path) = self.path.as_ref().filter(|_| self.changed) else {
            return;
        };
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(text) = serde_json::to_vec(&self.ms) else {
            return;
        };
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if tmp.write_all(&text).is_ok() {
                let _ = tmp.persist(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_detections_cost_the_median_of_known_ones() {
        let mut t = Timings::default();
        assert_eq!(t.estimate("x"), 1.0);
        t.record("a", 10.0);
        t.record("b", 30.0);
        t.record("c", 1000.0);
        assert_eq!(t.estimate("c"), 1000.0);
        assert_eq!(t.estimate("unknown"), 30.0);
        t.record("bad", f64::NAN);
        assert_eq!(t.estimate("bad"), 30.0);
    }
}
