//! Output too long for a terminal. PAT prints every byte a test printed; a rule printing in a
//! loop then floods the terminal (the harness already keeps only the first `CAPTURE_LIMIT`
//! characters of each capture, 16 Mi, which is still far more than anyone reads there).
//!
//! In PAT's text report Prowl prints at most [`TERMINAL_BYTES`] of each capture (a test's
//! output, a module's output at import, the workspace's set-up output), then one line saying
//! how much was cut and where the whole capture is kept: a file in Prowl's cache,
//! `<cache>/output/<run>/<detection>-<test>.txt`. A capture within the limit is printed
//! unchanged, so ordinary reports are PAT's bytes. Only the [`KEPT_RUNS`] newest runs' folders
//! are kept. JSON and JUnit reports are not affected: they carry the capture as the harness
//! answered it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;

/// The most bytes of one capture printed to the terminal.
pub const TERMINAL_BYTES: usize = 1024 * 1024;

/// Runs whose cut output stays in the cache (older folders are removed when a run keeps some).
pub const KEPT_RUNS: usize = 10;

/// The folder where one run keeps the captures it cut, made when the first one is cut.
#[derive(Debug)]
pub struct KeptOutput {
    /// `<cache>/output`.
    base: PathBuf,
    /// This run's folder, once made.
    run: Option<PathBuf>,
    /// File names already used in this run.
    used: HashSet<String>,
}

impl KeptOutput {
    /// Keeps cut output under Prowl's cache (`<cache>/output/<run>/`).
    pub fn in_cache() -> KeptOutput {
        KeptOutput::under(crate::env::cache_dir().join("output"))
    }

    /// Keeps cut output under `base` (`<base>/<run>/`).
    pub fn under(base: PathBuf) -> KeptOutput {
        KeptOutput {
            base,
            run: None,
            used: HashSet::new(),
        }
    }

    /// `text` as the terminal gets it: unchanged within [`TERMINAL_BYTES`]; otherwise its start
    /// (cut after a line where one ends in the second half) and a line saying how many bytes
    /// were cut and which file holds the whole of `text`. `detection` and `label` (a test's
    /// name) name that file.
    pub fn for_terminal<'t>(
        &mut self,
        detection: &str,
        label: &str,
        text: &'t str,
    ) -> Cow<'t, str> {
        if text.len() <= TERMINAL_BYTES {
            return Cow::Borrowed(text);
        }
        let mut cut = TERMINAL_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(newline) = text[..cut].rfind('\n').filter(|n| *n >= cut / 2) {
            cut = newline + 1;
        }
        let shown = &text[..cut];
        let separator = if shown.ends_with('\n') { "" } else { "\n" };
        let more = text.len() - cut;
        let whereabouts = match self.keep(detection, label, text) {
            Ok(file) => format!("the full output is in {}", file.display()),
            Err(e) => format!("the full output could not be kept: {e}"),
        };
        Cow::Owned(format!(
            "{shown}{separator}[prowl: {more} more bytes of output cut; {whereabouts}]"
        ))
    }

    /// Writes `text` to a new file of this run's folder; returns its path.
    fn keep(&mut self, detection: &str, label: &str, text: &str) -> std::io::Result<PathBuf> {
        let dir = match &self.run {
            Some(dir) => dir.clone(),
            None => {
                let dir = self.new_run_folder()?;
                self.run = Some(dir.clone());
                dir
            }
        };
        let stem = format!("{}-{}", file_part(detection), file_part(label));
        let mut name = format!("{stem}.txt");
        let mut n = 1;
        while !self.used.insert(name.clone()) {
            n += 1;
            name = format!("{stem}-{n}.txt");
        }
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// `<base>/<seconds since the epoch>-<pid>`, after removing all but the newest
    /// `KEPT_RUNS - 1` folders of earlier runs.
    fn new_run_folder(&self) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.base)?;
        let mut runs: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.base)?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let secs = name.split('-').next()?.parse().ok()?;
                Some((secs, e.path()))
            })
            .collect();
        runs.sort();
        let stale = runs.len().saturating_sub(KEPT_RUNS - 1);
        for (_, old) in runs.into_iter().take(stale) {
            let _ = std::fs::remove_dir_all(old);
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let dir = self.base.join(format!("{secs}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }
}

/// A detection ID or test name as part of a file name: letters, digits, `.`, `_` and `-` kept,
/// anything else `_`, at most 100 characters.
fn file_part(s: &str) -> String {
    let part: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    match part.trim_start_matches('.') {
        "" => "_".into(),
        p => p.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_within_the_limit_is_unchanged_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut kept = KeptOutput::under(dir.path().join("output"));
        let text = "x".repeat(TERMINAL_BYTES);
        assert!(matches!(
            kept.for_terminal("A.B", "t", &text),
            Cow::Borrowed(_)
        ));
        assert!(!dir.path().join("output").exists());
    }

    #[test]
    fn long_output_is_cut_at_a_line_and_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut kept = KeptOutput::under(dir.path().join("output"));
        let text = "é123456789\n".repeat(TERMINAL_BYTES / 5);
        let shown = kept.for_terminal("Flood.Print", "prints / a lot", &text);
        assert!(shown.len() < TERMINAL_BYTES + 300);
        let (head, line) = shown.rsplit_once('\n').unwrap();
        assert!(text.starts_with(&format!("{head}\n")));
        let more = text.len() - head.len() - 1;
        assert!(
            line.starts_with(&format!(
                "[prowl: {more} more bytes of output cut; the full output is in "
            )),
            "{line}"
        );
        let file = line.split_once(" is in ").unwrap().1.trim_end_matches(']');
        assert!(file.ends_with("/Flood.Print-prints___a_lot.txt"), "{file}");
        assert_eq!(std::fs::read_to_string(file).unwrap(), text);
        // The same names again in the run: a second file.
        let again = kept.for_terminal("Flood.Print", "prints / a lot", &text);
        assert!(
            again.contains("Flood.Print-prints___a_lot-2.txt"),
            "{}",
            &again[again.len() - 200..]
        );
    }

    #[test]
    fn only_the_newest_runs_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("output");
        for secs in 1..=KEPT_RUNS + 3 {
            std::fs::create_dir_all(base.join(format!("{secs}-1"))).unwrap();
        }
        let mut kept = KeptOutput::under(base.clone());
        kept.for_terminal("A", "t", &"y".repeat(TERMINAL_BYTES + 1));
        let mut left: Vec<String> = std::fs::read_dir(&base)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left.len(), KEPT_RUNS, "{left:?}");
        assert!(!left.contains(&"1-1".to_owned()), "{left:?}");
    }
}
