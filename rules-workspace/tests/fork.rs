//! The git module (`rules_workspace::fork`) and `prowl git` on real repositories, checked
//! against the system `git`: status agrees with `git status --porcelain`, our patches apply
//! with `git apply` and count the same lines as `git diff --numstat`, commits show in
//! `git log`. Neither libgit2 nor `git` reads the developer's own config here.

use rules_workspace::error::UserError;
use rules_workspace::fork::{self, Change, CloneProgress, Repo};
use rules_workspace::testkit::{git, git_with_input, isolate_git_config, isolated};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `prowl` in `dir`; returns (exit code, stdout, stderr).
fn prowl(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = isolated(
        Command::new(env!("CARGO_BIN_EXE_prowl"))
            .args(args)
            .current_dir(dir),
    )
    .output()
    .expect("run prowl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh repository on an unborn `main` with a committer identity in its local config.
fn new_repo() -> (tempfile::TempDir, PathBuf) {
    isolate_git_config();
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.name", "Prowl Test"]);
    git(&dir, &["config", "user.email", "test@prowl.example"]);
    (tmp, dir)
}

/// The demo workspace (a real fork with history) with a committer identity.
fn demo_repo() -> (tempfile::TempDir, PathBuf) {
    isolate_git_config();
    let tmp = tempfile::tempdir().unwrap();
    let demo = rules_workspace::demo::write_demo(&tmp.path().join("demo")).unwrap();
    git(&demo.path, &["config", "user.name", "Prowl Test"]);
    git(&demo.path, &["config", "user.email", "test@prowl.example"]);
    (tmp, demo.path)
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn porcelain(dir: &Path) -> String {
    git(dir, &["status", "--porcelain", "--untracked-files=all"])
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Tracked files of the demo with a suffix, sorted.
fn demo_files(dir: &Path, suffix: &str) -> Vec<String> {
    git(dir, &["ls-files"])
        .lines()
        .filter(|l| l.ends_with(suffix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn status_of_the_edited_demo_workspace_matches_git_status() {
    let (_tmp, dir) = demo_repo();
    let py = demo_files(&dir, ".py");
    let yml = demo_files(&dir, ".yml");
    let edited = &py[0];
    let deleted = &py[1];
    let renamed = &yml[0];
    let text = std::fs::read_to_string(dir.join(edited)).unwrap();
    write(&dir, edited, &format!("{text}\n# tuned locally\n"));
    std::fs::remove_file(dir.join(deleted)).unwrap();
    git(&dir, &["mv", renamed, "rules/renamed_by_test.yml"]);
    write(
        &dir,
        "rules/new_rule.py",
        "def rule(event):\n    return False\n",
    );
    git(&dir, &["add", "rules/new_rule.py"]);
    write(&dir, "scratch/notes.md", "todo\n");

    let repo = Repo::discover(&dir.join("rules")).unwrap();
    let status = repo.status().unwrap();
    let ours = sorted_lines(
        &status
            .short_format()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(ours, sorted_lines(&porcelain(&dir)));
    let find = |p: &str| status.files.iter().find(|f| f.path == p).unwrap();
    assert_eq!(find(edited).worktree, Change::Modified);
    assert_eq!(find(deleted).worktree, Change::Deleted);
    assert_eq!(find("rules/new_rule.py").index, Change::Added);
    assert_eq!(find("scratch/notes.md").worktree, Change::Untracked);
    let r = find("rules/renamed_by_test.yml");
    assert_eq!(
        (r.index, r.old_path.as_deref()),
        (Change::Renamed, Some(renamed.as_str()))
    );

    // The CLI prints the same, with git's `## branch` line first.
    let (code, out, err) = prowl(&dir, &["git", "status"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, status.short_format());
    assert!(out.starts_with("## main\n"), "{out}");
}

#[test]
fn unstaged_and_staged_patches_apply_with_git_apply() {
    let (_tmp, dir) = demo_repo();
    let repo = Repo::discover(&dir).unwrap();
    let py = demo_files(&dir, ".py");
    // Edits at the top, in the middle and at the end (losing the final newline).
    let path = &py[2];
    let text = std::fs::read_to_string(dir.join(path)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(0, "# header added by the test");
    let mid = lines.len() / 2;
    lines[mid] = "    # replaced in the middle";
    lines.push("# last line, no newline");
    write(&dir, path, &lines.join("\n"));
    write(&dir, "rules/brand_new.py", "a = 1\nb = 2\n");

    for p in [path.as_str(), "rules/brand_new.py"] {
        let diff = repo.diff_file(p, false).unwrap();
        assert!(!diff.unified.is_empty(), "{p}");
        // Applied to the index, the patch makes the index equal the working tree.
        git_with_input(&dir, &["apply", "--cached", "-"], &diff.unified);
        assert_eq!(git(&dir, &["diff", "--", p]), "", "{p}: index == worktree");
        // Now staged: the staged diff is the same patch, and applies in reverse.
        let staged = repo.diff_file(p, true).unwrap();
        assert_eq!(staged.unified, diff.unified, "{p}");
        git_with_input(
            &dir,
            &["apply", "--cached", "--check", "-R", "-"],
            &staged.unified,
        );
    }
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn random_edits_give_patches_that_apply_and_count_like_git_diff() {
    let (_tmp, dir) = new_repo();
    let mut rng = Lcg(7);
    let base: Vec<String> = (0..60).map(|i| format!("line {}", i % 17)).collect();
    write(&dir, "f.txt", &(base.join("\n") + "\n"));
    git(&dir, &["add", "f.txt"]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    let repo = Repo::discover(&dir).unwrap();
    for round in 0..40 {
        let mut lines = base.clone();
        for _ in 0..1 + rng.next(6) {
            let at = rng.next(lines.len());
            match rng.next(3) {
                0 => lines[at] = format!("changed {round}"),
                1 => {
                    lines.remove(at);
                }
                _ => lines.insert(at, format!("inserted {round}")),
            }
        }
        let mut text = lines.join("\n");
        if rng.next(4) != 0 {
            text.push('\n');
        }
        write(&dir, "f.txt", &text);
        let diff = repo.diff_file("f.txt", false).unwrap();
        let (mut added, mut deleted) = (0, 0);
        for line in diff.hunks.iter().flat_map(|h| &h.lines) {
            match line.tag {
                fork::LineTag::Insert => added += 1,
                fork::LineTag::Delete => deleted += 1,
                fork::LineTag::Equal => {}
            }
        }
        let numstat = git(&dir, &["diff", "--numstat", "--", "f.txt"]);
        let expected = numstat.split_whitespace().take(2).collect::<Vec<_>>();
        if expected.is_empty() {
            assert!(diff.unified.is_empty(), "round {round}");
            continue;
        }
        assert_eq!(
            vec![added.to_string(), deleted.to_string()],
            expected,
            "round {round}:\n{}",
            diff.unified
        );
        git_with_input(&dir, &["apply", "--check", "-R", "-"], &diff.unified);
    }
}

#[test]
fn stage_unstage_discard_and_commit_through_the_cli() {
    let (_tmp, dir) = new_repo();
    write(&dir, "rules/a.py", "a = 1\n");
    write(&dir, "rules/b.py", "b = 1\n");

    // The first commit, on an unborn branch.
    let (code, out, err) = prowl(&dir, &["git", "status"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "## No commits yet on main\n?? rules/a.py\n?? rules/b.py\n"
        ),
        "{err}"
    );
    let (code, _, err) = prowl(&dir, &["git", "stage", "rules"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(porcelain(&dir), "A  rules/a.py\nA  rules/b.py\n");
    let (code, _, err) = prowl(&dir, &["git", "unstage", "rules/b.py"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(porcelain(&dir), "A  rules/a.py\n?? rules/b.py\n");
    let (code, out, err) = prowl(&dir, &["git", "commit", "-m", "First rule"]);
    assert_eq!(code, 0, "{err}");
    let head = git(&dir, &["rev-parse", "--short", "HEAD"]);
    assert_eq!(out, format!("[main {}] First rule\n", head.trim()));
    assert_eq!(git(&dir, &["log", "--format=%s"]), "First rule\n");

    // Edit, look at the diff, throw the edit away.
    write(&dir, "rules/a.py", "a = 2\n");
    let (code, out, _) = prowl(&dir, &["git", "diff", "rules/a.py"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "--- a/rules/a.py\n+++ b/rules/a.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    );
    let (code, out, _) = prowl(&dir, &["git", "diff", "rules/a.py", "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["hunks"][0]["lines"][0]["tag"], "delete");
    assert_eq!(json["hunks"][0]["lines"][1]["new_line"], 1);
    let (code, _, err) = prowl(&dir, &["git", "discard", "rules/a.py", "rules/b.py"]);
    assert_eq!(code, 2, "discard wants --yes");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/a.py")).unwrap(),
        "a = 2\n"
    );
    let (code, _, err) = prowl(
        &dir,
        &["git", "discard", "--yes", "rules/a.py", "rules/b.py"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/a.py")).unwrap(),
        "a = 1\n"
    );
    assert!(!dir.join("rules/b.py").exists());
    assert_eq!(porcelain(&dir), "");

    // Paths are relative to --repo, as with `git -C`.
    write(&dir, "rules/c.py", "c\n");
    let (code, _, err) = prowl(&dir, &["git", "--repo", "rules", "stage", "c.py"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(porcelain(&dir), "A  rules/c.py\n");

    // Nothing left to commit after committing.
    prowl(&dir, &["git", "commit", "-m", "c"]);
    let (code, _, err) = prowl(&dir, &["git", "commit", "-m", "again"]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing staged to commit"), "{err}");
}

#[test]
fn branches_and_checkout_through_the_cli_never_overwrite_local_edits() {
    let (_tmp, dir) = demo_repo();
    git(&dir, &["branch", "tuning"]);
    git(&dir, &["checkout", "-q", "tuning"]);
    let py = demo_files(&dir, ".py");
    write(&dir, &py[0], "# tuned\n");
    git(&dir, &["commit", "-q", "-am", "tune"]);
    git(&dir, &["checkout", "-q", "main"]);

    let (code, out, _) = prowl(&dir, &["git", "branches"]);
    assert_eq!((code, out.as_str()), (0, "* main\n  tuning\n"));
    let (_, out, _) = prowl(&dir, &["git", "branches", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["name"], "main");
    assert_eq!(json[0]["current"], true);

    write(&dir, &py[0], "# my local edit\n");
    let (code, _, err) = prowl(&dir, &["git", "checkout", "tuning"]);
    assert_eq!(code, 2);
    assert!(err.contains(&py[0]), "the error names the file: {err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join(&py[0])).unwrap(),
        "# my local edit\n"
    );
    assert_eq!(git(&dir, &["branch", "--show-current"]).trim(), "main");

    git(&dir, &["checkout", "-q", "--", &py[0]]);
    let (code, out, err) = prowl(&dir, &["git", "checkout", "tuning"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Switched to branch 'tuning'\n");
    assert_eq!(
        std::fs::read_to_string(dir.join(&py[0])).unwrap(),
        "# tuned\n"
    );

    // A detached HEAD.
    git(&dir, &["checkout", "-q", "--detach", "HEAD~1"]);
    let (_, out, _) = prowl(&dir, &["git", "status"]);
    assert_eq!(out, "## HEAD (no branch)\n");
    let status = Repo::discover(&dir).unwrap().status().unwrap();
    assert!(status.detached);
    assert_eq!(
        status.head.unwrap(),
        git(&dir, &["rev-parse", "--short", "HEAD"]).trim()
    );
}

#[test]
fn clone_from_a_local_path_reports_progress_and_tracks_origin() {
    let (_tmp, src) = demo_repo();
    let dest_root = tempfile::tempdir().unwrap();
    let dest = dest_root.path().join("fork");
    let mut reports: Vec<CloneProgress> = Vec::new();
    let repo = fork::clone(src.to_str().unwrap(), &dest, &mut |p| reports.push(p)).unwrap();
    assert!(!reports.is_empty(), "the progress callback was called");
    let last = reports.last().unwrap();
    assert!(last.total_objects > 0);
    assert_eq!(last.indexed_objects, last.total_objects);
    assert!(reports
        .windows(2)
        .all(|w| w[0].received_objects <= w[1].received_objects));
    assert_eq!(
        git(&dest, &["rev-parse", "HEAD"]),
        git(&src, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        git(&dest, &["remote", "get-url", "origin"]).trim(),
        src.to_str().unwrap()
    );
    assert!(repo.status().unwrap().files.is_empty());
    let branches = repo.branches().unwrap();
    assert_eq!(branches[0].upstream.as_deref(), Some("origin/main"));

    // Through the CLI: data on stdout, progress on stderr.
    let other = dest_root.path().join("second");
    let (code, out, err) = prowl(
        dest_root.path(),
        &[
            "git",
            "clone",
            src.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Cloned "), "{out}");
    assert!(err.contains("received"), "{err}");
    let (code, _, err) = prowl(
        dest_root.path(),
        &[
            "git",
            "clone",
            src.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not an empty folder"), "{err}");
}

/// A smart-HTTP git server on 127.0.0.1: a small Python HTTP/1.1 server (Debian's python3)
/// that hands each request to `git http-backend` (CGI) over `root` and answers with a
/// Content-Length; repository `name` below `root` is at `url(name)`.
struct GitHttpServer {
    child: std::process::Child,
    port: u16,
}

const GIT_HTTP_SERVER: &str = r#"
import http.server, os, subprocess

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self):
        path, _, query = self.path.partition("?")
        data = self.body() if self.command == "POST" else b""
        env = dict(os.environ, REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(data)), REMOTE_ADDR="127.0.0.1")
        out = subprocess.run(["git", "http-backend"], input=data, env=env,
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = serve

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

impl GitHttpServer {
    fn start(root: &Path) -> GitHttpServer {
        use std::io::BufRead;
        let mut cmd = Command::new("python3");
        isolated(&mut cmd);
        let mut child = cmd
            .args(["-c", GIT_HTTP_SERVER])
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server's port");
        GitHttpServer { child, port }
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn clone_over_http_reports_progress_and_a_missing_repository_leaves_nothing() {
    let (_tmp, src) = demo_repo();
    let served = tempfile::tempdir().unwrap();
    git(
        served.path(),
        &["clone", "-q", "--bare", src.to_str().unwrap(), "demo.git"],
    );
    let server = GitHttpServer::start(served.path());
    let dest_root = tempfile::tempdir().unwrap();
    let dest = dest_root.path().join("fork");
    let url = server.url("demo.git");
    let mut reports: Vec<CloneProgress> = Vec::new();
    let repo = fork::clone(&url, &dest, &mut |p| reports.push(p)).unwrap();
    let last = reports.last().expect("progress was reported");
    assert!(last.total_objects > 0);
    assert_eq!(last.indexed_objects, last.total_objects);
    assert!(last.received_bytes > 0);
    assert_eq!(
        git(&dest, &["rev-parse", "HEAD"]),
        git(&src, &["rev-parse", "HEAD"])
    );
    assert_eq!(git(&dest, &["remote", "get-url", "origin"]).trim(), url);
    assert!(repo.status().unwrap().files.is_empty());

    // A repository the server does not have: an error, and the new folders are gone.
    let missing = dest_root.path().join("new/clone");
    let err = fork::clone(&server.url("nope.git"), &missing, &mut |_| {}).unwrap_err();
    assert_eq!(err.name(), "remote", "{err}");
    assert!(err.to_string().contains("404"), "{err}");
    assert!(err.hint().unwrap().contains("network"), "{err}");
    assert!(!dest_root.path().join("new").exists());
    // A URL without a host is refused before anything is created.
    let err = fork::clone("https:///x.git", &missing, &mut |_| {}).unwrap_err();
    assert_eq!(err.name(), "invalid_path", "{err}");
}

#[test]
fn bad_inputs_give_errors_with_hints_not_panics() {
    let (_tmp, dir) = demo_repo();
    let outside = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["git", "diff", "../../etc/passwd"],
            "outside the repository",
        ),
        (vec!["git", "diff", "no/such/file.py"], "no such file"),
        (vec!["git", "diff", "rules"], "is a folder"),
        (vec!["git", "stage", "missing.py"], "no such file"),
        (vec!["git", "stage", ".git/config"], ".git folder"),
        (vec!["git", "unstage", "missing.py"], "no such file"),
        (vec!["git", "checkout", "no-such-branch"], "no local branch"),
        (vec!["git", "commit", "-m", "   "], "message is empty"),
        (
            // Nothing listens on the discard port: refused at once, with the network hint.
            vec!["git", "clone", "http://127.0.0.1:9/x.git", "dest"],
            "network",
        ),
        (
            vec!["git", "clone", "git@example.com:x.git", "dest"],
            "ssh URLs",
        ),
    ];
    for (args, expected) in cases {
        let (code, out, err) = prowl(&dir, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(err.contains("hint:"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let (code, _, err) = prowl(outside.path(), &["git", "status"]);
    assert_eq!(code, 2);
    assert!(err.contains("git init"), "{err}");

    // A repository deleted while open.
    let repo = Repo::discover(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let err = repo.status().unwrap_err();
    assert_eq!(err.name(), "workdir_gone", "{err}");
    assert!(repo.diff_file("x", true).is_err());
    assert!(repo.discard(&["x"]).is_err());
}
