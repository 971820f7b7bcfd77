//! The smaller holes a workspace written by someone else could use, each closed and shown here
//! with fixtures made at test time (links, FIFOs and devices do not belong in git):
//! - a spec or Python file that is a link out of the workspace is neither read nor written
//!   through, and discovery leaves it out with a problem;
//! - a spec linked to `/dev/zero` or a spec that is a FIFO cannot stop the workspace from
//!   opening, nor can a `requirements.txt` that is a FIFO stop the environment's reading;
//! - a worker writing frames nobody asked for is held back by its pipe;
//! - a rule printing without end reaches the terminal cut, and is kept whole in the cache;
//! - credentials in a clone URL are used, never stored or printed, and plain http is warned
//!   about.
//!
//! A hang here would be the bug itself: the few waits have a generous guard so that a
//! regression fails with a message instead of never ending (no test asserts a duration).

mod common;

use rules_workspace::error::UserError;
use rules_workspace::workspace::{save, OpenOptions, Workspace};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a command may take before the test calls it hung (far above its normal time).
const HUNG: Duration = Duration::from_secs(120);

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A workspace with one benign rule (from the sandbox fixtures), in a temporary folder that
/// also holds a canary file outside the workspace. Returns (folder, workspace, canary).
fn workspace_with_canary() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let ws = base.join("ws");
    std::fs::create_dir_all(ws.join("rules")).unwrap();
    for name in ["benign.py", "benign.yml"] {
        std::fs::copy(
            common::tests_dir()
                .join("fixtures/sandbox/rules")
                .join(name),
            ws.join("rules").join(name),
        )
        .unwrap();
    }
    let canary = base.join("canary.txt");
    std::fs::write(&canary, "AnalysisType: rule\nRuleID: Canary\n").unwrap();
    (dir, ws, canary)
}

/// Runs `prowl` with `args` in `dir`, failing the test (instead of hanging) if it does not
/// finish within [`HUNG`]. Returns (exit code, stdout, stderr).
fn prowl_in(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    rules_workspace::testkit::isolated(&mut cmd)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run prowl");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HUNG {
            let _ = child.kill();
            panic!("`prowl {}` hung", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        status.code().unwrap_or(-1),
        text(out.join().unwrap()),
        text(err.join().unwrap()),
    )
}

/// `f` on another thread, failing the test if it does not return within [`HUNG`].
fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HUNG)
        .unwrap_or_else(|_| panic!("{what} hung"))
}

#[test]
fn a_link_out_of_the_workspace_is_not_read_written_or_discovered() {
    let (_dir, ws, canary) = workspace_with_canary();
    std::os::unix::fs::symlink("../../canary.txt", ws.join("rules/canary.yml")).unwrap();
    std::os::unix::fs::symlink("../../canary.txt", ws.join("rules/x.py")).unwrap();

    // Reading for an editor: refused with the code front ends switch on.
    let err = save::read_text_in(&ws, &ws.join("rules/x.py")).unwrap_err();
    assert_eq!(err.code(), "file.outside_workspace", "{err}");
    assert!(err.to_string().contains("canary.txt"), "{err}");
    // Saving: refused whatever the stamp, and the canary is unchanged.
    let canary_text = std::fs::read_to_string(&canary).unwrap();
    for stamp in [
        save::ABSENT.to_owned(),
        save::stamp_of(canary_text.as_bytes()),
    ] {
        let err = save::save_text_in(&ws, &ws.join("rules/x.py"), "pwned\n", &stamp).unwrap_err();
        assert_eq!(err.code(), "file.outside_workspace", "{err}");
    }
    assert_eq!(std::fs::read_to_string(&canary).unwrap(), canary_text);

    // Discovery: the linked spec is left out with a problem; the benign rule is indexed.
    let opened = Workspace::open(&ws, &OpenOptions::default()).unwrap();
    assert!(opened.get("Sandbox.Benign").is_some());
    assert!(
        opened.get("Canary").is_none(),
        "the canary was read as a spec"
    );
    let problem = opened
        .diagnostics
        .iter()
        .find(|d| d.rel_path == "rules/canary.yml")
        .expect("a problem for the link");
    assert!(
        problem.summary.contains("outside the workspace") && problem.summary.contains("canary.txt"),
        "{problem:?}"
    );
    let (code, stdout, stderr) = prowl_in(&ws, &["validate", "."], &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("rules/canary.yml"), "{stdout}{stderr}");
    assert!(!stdout.contains("Canary\n"), "{stdout}");
}

#[test]
fn a_spec_linked_to_dev_zero_or_a_fifo_leaves_the_rest_of_the_workspace_open() {
    let (_dir, ws, _canary) = workspace_with_canary();
    std::os::unix::fs::symlink("/dev/zero", ws.join("rules/zero.yml")).unwrap();
    mkfifo(&ws.join("rules/pipe.yml"));
    // A link inside the workspace to a FIFO is refused as what it leads to.
    std::os::unix::fs::symlink("pipe.yml", ws.join("rules/alias.yml")).unwrap();

    let root = ws.clone();
    let opened = finishes("Workspace::open", move || {
        Workspace::open(&root, &OpenOptions::default()).unwrap()
    });
    assert!(
        opened.get("Sandbox.Benign").is_some(),
        "the other items are indexed"
    );
    let about = |rel: &str| {
        opened
            .diagnostics
            .iter()
            .find(|d| d.rel_path == rel)
            .unwrap_or_else(|| panic!("no problem for {rel}: {:?}", opened.diagnostics))
            .summary
            .clone()
    };
    assert!(about("rules/zero.yml").contains("/dev/zero"));
    assert!(about("rules/pipe.yml").contains("FIFO"));
    assert!(about("rules/alias.yml").contains("FIFO"));

    let (code, stdout, stderr) = prowl_in(&ws, &["validate", "."], &[]);
    assert_eq!(code, 1, "the FIFOs are errors: {stdout}{stderr}");
    for rel in ["rules/zero.yml", "rules/pipe.yml", "rules/alias.yml"] {
        assert!(stdout.contains(rel), "{rel}: {stdout}{stderr}");
    }
    assert!(stdout.contains("not a regular file"), "{stdout}");
}

#[test]
fn a_requirements_file_that_is_a_fifo_is_refused_by_the_environment() {
    let (_dir, ws, _canary) = workspace_with_canary();
    mkfifo(&ws.join("requirements.txt"));
    let root = ws.clone();
    let reqs = finishes("reading the requirement files", move || {
        rules_workspace::env::requirements::read(&root)
    });
    assert_eq!(reqs.refused.len(), 1, "{:?}", reqs.refused);
    let err = rules_workspace::env::plan(reqs, &[]).unwrap_err();
    let info = err.info();
    assert_eq!(info.code, "env.refused", "{}", info.message);
    assert!(
        info.message.contains("requirements.txt") && info.message.contains("FIFO"),
        "{}",
        info.message
    );
}

/// A stand-in worker: a shell script, `body` after the shebang.
fn script(body: &str) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake-worker");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, path)
}

#[test]
fn a_worker_flooding_frames_is_held_back_by_its_pipe() {
    use rules_workspace::engine::worker::{Worker, WorkerOptions, FRAME_QUEUE};
    let count = tempfile::NamedTempFile::new().unwrap();
    // 64 KiB frames without end, counting them in a file.
    let (_dir, program) = script(&format!(
        "i=0\nwhile :; do\n  printf '\\000\\001\\000\\000'\n  head -c 65536 /dev/zero\n  i=$((i+1))\n  echo $i > {}\ndone",
        count.path().display()
    ));
    let worker = loop {
        match Worker::spawn(&WorkerOptions::new(program.clone())) {
            Ok(w) => break w,
            // Another test thread's fork may briefly hold the new script open for writing.
            Err(e) if e.to_string().contains("busy") => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    let written = || {
        std::fs::read_to_string(count.path())
            .ok()
            .and_then(|t| t.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while written() < FRAME_QUEUE {
        assert!(
            started.elapsed() < HUNG,
            "the stand-in worker wrote nothing"
        );
        std::thread::yield_now();
    }
    // Nobody asks for the frames: the queue, the frame the reader holds, the pipe's buffer
    // and the write under way are all the worker gets out; without a bound it would be
    // thousands by now.
    let most = FRAME_QUEUE + 4;
    for _ in 0..2_000 {
        let n = written();
        assert!(
            n <= most,
            "{n} frames of 64 KiB written; at most {most} fit"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(worker);
}

#[test]
fn a_rule_printing_20_mb_reaches_the_terminal_cut_and_is_kept_whole() {
    let env = common::test_env();
    let (dir, ws, _canary) = workspace_with_canary();
    std::fs::write(
        ws.join("rules/flood.py"),
        "def rule(event):\n    line = \"x\" * 1023 + \"\\n\"\n    for _ in range(20 * 1024):\n        print(line, end=\"\")\n    return True\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("rules/flood.yml"),
        "AnalysisType: rule\nFilename: flood.py\nRuleID: Flood.Print\nEnabled: true\nLogTypes: [Custom.Sandbox]\nSeverity: Low\nTests:\n  - Name: prints a lot\n    ExpectedResult: true\n    Log: {eventName: X}\n",
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let (code, stdout, stderr) = prowl_in(
        &ws,
        &["test", "."],
        &[
            ("PROWL_CACHE", &cache),
            ("PROWL_PYTHON_ENV", &env),
            ("PROWL_WORKER_EXE", Path::new(env!("CARGO_BIN_EXE_prowl"))),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // The benign detection beside it still passes.
    assert!(
        stdout.contains("Sandbox.Benign\n\t[PASS] a console login alerts"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert!(stdout.contains("\t[PASS] prints a lot"), "{stderr}");
    assert!(
        stdout.len() < 1024 * 1024 + 100 * 1024,
        "{} bytes on stdout",
        stdout.len()
    );
    // One line says how much was cut and where the whole output is.
    let cut = stdout
        .lines()
        .find(|l| l.starts_with("[prowl: ") && l.contains(" more bytes of output cut"))
        .unwrap_or_else(|| panic!("no cut line in {}", &stdout[stdout.len() - 2000..]));
    let more: usize = cut["[prowl: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let kept = PathBuf::from(
        cut.split_once("the full output is in ")
            .unwrap()
            .1
            .trim_end_matches(']'),
    );
    assert!(kept.starts_with(cache.join("output")), "{cut}");
    assert!(kept.ends_with("Flood.Print-prints_a_lot.txt"), "{cut}");
    let whole = std::fs::read_to_string(&kept).unwrap();
    // The harness's own cap (16 Mi characters) and its note, then nothing more.
    assert!(
        whole.len() >= 16 * 1024 * 1024,
        "{} bytes kept",
        whole.len()
    );
    assert!(
        whole.ends_with("more characters of output were dropped]\n"),
        "{}",
        &whole[whole.len() - 200..]
    );
    // What the terminal got is the start of what was kept, and the count adds up.
    let flood = stdout.split_once("Flood.Print\n").unwrap().1;
    let shown = &flood[..flood.find("[prowl: ").unwrap()];
    assert!(whole.starts_with(shown));
    assert_eq!(shown.len() + more, whole.len());
}

/// A git smart-HTTP server on loopback in front of `git http-backend`, for the bare
/// repositories under `root`. It answers 401 to a request without credentials (as a private
/// repository does) and records the `Authorization` headers it is sent.
struct GitServer {
    port: u16,
    authorizations: Arc<Mutex<Vec<String>>>,
}

fn serve_git(root: PathBuf) -> GitServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let authorizations = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&authorizations);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            if let Err(e) = answer_git(conn, &root, &seen) {
                eprintln!("test git server: {e}");
            }
        }
    });
    GitServer {
        port,
        authorizations,
    }
}

fn answer_git(mut conn: TcpStream, root: &Path, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut headers = std::collections::HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if let Some(len) = headers.get("content-length") {
        let len: usize = len.parse().unwrap_or(0);
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    } else if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    let Some(auth) = headers.get("authorization") else {
        return conn.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"prowl-test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    seen.lock().unwrap().push(auth.clone());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut cgi = Command::new("git");
    rules_workspace::testkit::isolated(&mut cgi)
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", method)
        .env("REMOTE_USER", "user")
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(v) = headers.get(header) {
            cgi.env(var, v);
        }
    }
    let mut child = cgi.spawn()?;
    child.stdin.take().unwrap().write_all(&body)?;
    let out = child.wait_with_output()?;
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| {
            out.stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, 2))
        })
        .unwrap_or((out.stdout.len(), 0));
    let head = String::from_utf8_lossy(&out.stdout[..split.0]).into_owned();
    let content = &out.stdout[split.0 + split.1..];
    let mut status = "200 OK".to_owned();
    let mut response = String::new();
    for line in head.lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            Some(_) => response.push_str(&format!("{line}\r\n")),
            None => {}
        }
    }
    conn.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
            content.len()
        )
        .as_bytes(),
    )?;
    conn.write_all(content)
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_containing(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            out.push(path);
        }
    }
    out
}

#[test]
fn credentials_in_a_clone_url_are_used_but_never_stored_or_printed() {
    let source = rules_workspace::testkit::TestRepo::new();
    source.write("rules/a.py", "def rule(event):\n    return True\n");
    source.write("README.md", "hello\n");
    source.commit_all("first");
    let served = tempfile::tempdir().unwrap();
    rules_workspace::testkit::git(
        served.path(),
        &[
            "clone",
            "--bare",
            "--quiet",
            source.path().to_str().unwrap(),
            "fork.git",
        ],
    );
    let server = serve_git(served.path().to_path_buf());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("clone");
    let url = format!("http://user:secret@127.0.0.1:{}/fork.git", server.port);
    let (code, stdout, stderr) = prowl_in(
        dir.path(),
        &["git", "clone", &url, dest.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The credentials were sent when the server asked for them…
    assert!(
        server
            .authorizations
            .lock()
            .unwrap()
            .iter()
            .any(|a| a == "Basic dXNlcjpzZWNyZXQ="),
        "{:?}",
        server.authorizations.lock().unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("README.md")).unwrap(),
        "hello\n"
    );
    // …and are nowhere else: not printed, not in origin, not in any file of the clone.
    assert!(
        !stdout.contains("secret") && !stderr.contains("secret"),
        "{stdout}{stderr}"
    );
    let shown = format!("http://127.0.0.1:{}/fork.git", server.port);
    assert!(stdout.contains(&shown), "{stdout}");
    let origin = git2::Repository::open(&dest)
        .unwrap()
        .find_remote("origin")
        .unwrap()
        .url()
        .map(str::to_owned)
        .ok();
    assert_eq!(origin.as_deref(), Some(shown.as_str()));
    assert_eq!(files_containing(&dest, b"secret"), Vec::<PathBuf>::new());
    // Plain http was warned about, before the clone.
    assert!(
        stderr.contains("warning:") && stderr.contains("plain http://"),
        "{stderr}"
    );

    // A clone that fails over the network names the URL without its credentials.
    let (code, stdout, stderr) = prowl_in(
        dir.path(),
        &[
            "git",
            "clone",
            "https://user:secret@example.invalid/x.git",
            dir.path().join("other").to_str().unwrap(),
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        !stdout.contains("secret") && !stderr.contains("secret"),
        "{stdout}{stderr}"
    );
    assert!(stderr.contains("https://example.invalid/x.git"), "{stderr}");
}
