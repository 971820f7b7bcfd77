//! The Prowl side of one worker process: spawn it, send a request, wait for the answer with a
//! time limit, and kill it when it hangs. A writer thread sends the requests and a reader
//! thread turns the worker's frames into channel messages, so a timeout never blocks on a pipe
//! in either direction; another thread keeps the tail of its stderr for error messages.
//!
//! The frames read ahead are bounded ([`FRAME_QUEUE`]): a worker writing frames nobody asked
//! for (workspace code that found the frame descriptor) fills the queue, then the reader
//! blocks, then the worker blocks on its pipe. Backpressure, never loss and never unbounded
//! memory; each frame is bounded by [`super::protocol::MAX_FRAME`].

use super::messages::{Answer, Reply};
use super::protocol::{read_frame, write_frame};
use super::sandbox::SandboxPaths;
use super::EngineError;
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How to start workers.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The `prowl` executable (the current one by default).
    pub program: PathBuf,
    /// The managed environment's site-packages, if any.
    pub site_packages: Option<PathBuf>,
    /// Address-space limit per worker, in bytes (an rlimit; allocation past it fails).
    pub memory_limit: Option<u64>,
    /// Where workers keep compiled bytecode (`PYTHONPYCACHEPREFIX`); `None`: not written.
    pub pycache: Option<PathBuf>,
    /// Run the worker in the sandbox (see [`super::sandbox`]), seeing these paths; a scratch
    /// folder of its own is added. Its environment is then reduced to what Python needs.
    pub sandbox: Option<SandboxPaths>,
}

impl WorkerOptions {
    /// Workers running `program worker`, with no environment, memory limit or bytecode cache.
    pub fn new(program: PathBuf) -> WorkerOptions {
        WorkerOptions {
            program,
            site_packages: None,
            memory_limit: None,
            pycache: None,
            sandbox: None,
        }
    }
}

/// Most stderr kept per worker for error messages.
const STDERR_TAIL: usize = 16 * 1024;

/// Frames read from a worker and not yet taken: one answer is all a request needs.
pub const FRAME_QUEUE: usize = 2;

/// What the reader thread hands over: a frame, the end of the stream, or a read error.
type FrameResult = std::io::Result<Option<Vec<u8>>>;

/// A running worker process.
pub struct Worker {
    child: Child,
    /// A sandboxed worker's scratch folder (its temp and home), removed with the worker.
    scratch: Option<tempfile::TempDir>,
    pycache: Option<PathBuf>,
    /// Requests for the writer thread; dropping it closes the worker's stdin.
    requests: Option<Sender<Vec<u8>>>,
    frames: Receiver<FrameResult>,
    stderr: Arc<Mutex<String>>,
}

impl Worker {
    /// Starts a worker process.
    pub fn spawn(options: &WorkerOptions) -> Result<Worker, EngineError> {
        let mut cmd = Command::new(&options.program);
        cmd.arg("worker");
        if let Some(site) = &options.site_packages {
            cmd.arg("--site-packages").arg(site);
        }
        let scratch = match &options.sandbox {
            Some(paths) => {
                let scratch = scratch_folder()?;
                let mut paths = paths.clone();
                paths.writable.push(scratch.path().to_path_buf());
                cmd.args(paths.to_args());
                // What Python needs, and nothing of the user's: no tokens, no credentials.
                let keep: Vec<(String, std::ffi::OsString)> = [
                    "LANG",
                    "LC_ALL",
                    "TZ",
                    "PYTHONHASHSEED",
                    "PYTHONDONTWRITEBYTECODE",
                ]
                .iter()
                .filter_map(|k| std::env::var_os(k).map(|v| ((*k).to_owned(), v)))
                .collect();
                cmd.env_clear()
                    .envs(keep)
                    .env("PATH", "/usr/bin:/bin")
                    .env("HOME", scratch.path())
                    .env("TMPDIR", scratch.path());
                Some(scratch)
            }
            None => None,
        };
        if let Some(prefix) = &options.pycache {
            cmd.env("PROWL_PYCACHE", prefix);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group: Ctrl+C in a terminal reaches Prowl, which stops its workers
        // itself, and not user code in the middle of an event (it would see KeyboardInterrupt).
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        if let Some(limit) = options.memory_limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe and touches only the child.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().map_err(|e| EngineError::Spawn {
            program: options.program.display().to_string(),
            source: e,
        })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let frames = read_frames(stdout);
        let requests = child.stdin.take().map(write_frames);
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut pipe = stderr_pipe;
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = tail.lock() {
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if t.len() > STDERR_TAIL {
                        let cut = t.len() - STDERR_TAIL;
                        let cut = (cut..t.len())
                            .find(|i| t.is_char_boundary(*i))
                            .unwrap_or(t.len());
                        t.drain(..cut);
                    }
                }
            }
        });
        Ok(Worker {
            scratch,
            pycache: options.pycache.clone(),
            requests,
            child,
            frames,
            stderr,
        })
    }

    /// What the worker wrote to stderr recently.
    pub fn stderr_tail(&self) -> String {
        self.stderr.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Sends a request and waits up to `timeout` for its answer. On a timeout or a crash the
    /// worker is killed; the caller starts a new one.
    /// The answer is decoded as `A` (see [`super::messages`]); a handler that raised is
    /// [`EngineError::Harness`].
    pub fn request<A: Answer>(
        &mut self,
        request: &impl serde::Serialize,
        timeout: Duration,
    ) -> Result<A, EngineError> {
        let payload =
            serde_json::to_vec(request).map_err(|e| EngineError::Protocol(e.to_string()))?;
        // Handed to the writer thread: a worker that stops reading its stdin cannot block
        // this thread past the time limit below.
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|tx| tx.send(payload).is_ok());
        if !sent {
            return Err(self.crashed());
        }
        match self.frames.recv_timeout(timeout) {
            Ok(Ok(Some(frame))) => match serde_json::from_slice::<Reply<A>>(&frame) {
                Ok(Reply::Ok(answer)) => Ok(answer),
                Ok(Reply::Error(failure)) => Err(EngineError::Harness(failure)),
                Err(e) => Err(EngineError::Protocol(e.to_string())),
            },
            Ok(Ok(None)) | Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(self.crashed()),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(EngineError::Timeout {
                    seconds: timeout.as_secs_f64(),
                })
            }
        }
    }

    fn crashed(&mut self) -> EngineError {
        // Give the process a moment to finish dying so its status and last words are known.
        let mut status = None;
        for _ in 0..50 {
            if let Ok(Some(s)) = self.child.try_wait() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if status.is_none() {
            self.kill();
        } else {
            remove_harness_temp(self.child.id(), self.pycache.as_deref());
        }
        std::thread::sleep(Duration::from_millis(20));
        let status = match status {
            Some(s) => describe_status(s),
            None => "it stopped answering".into(),
        };
        EngineError::Crashed {
            status,
            stderr: self.stderr_tail(),
        }
    }

    /// Stops the worker at once (a sandboxed one with every process it started), and removes
    /// the temp folder it can no longer remove itself.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        remove_harness_temp(self.child.id(), self.pycache.as_deref());
        self.remove_scratch();
    }

    /// Removes a sandboxed worker's scratch folder and the bytecode mirrored from it.
    fn remove_scratch(&mut self) {
        if let Some(scratch) = self.scratch.take() {
            if let Some(cache) = &self.pycache {
                let mirrored =
                    cache.join(scratch.path().strip_prefix("/").unwrap_or(scratch.path()));
                let _ = std::fs::remove_dir_all(mirrored);
            }
            drop(scratch);
        }
    }

    /// Closes stdin and waits for the worker to leave its loop.
    pub fn shutdown(mut self) {
        self.requests.take();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
        self.remove_scratch();
    }
}

/// A thread reading frames from `pipe` into a channel of at most [`FRAME_QUEUE`] frames: when
/// nobody takes them the thread waits, and so does the writer at the other end of the pipe.
/// The thread ends at the end of the stream, on an error, or when the receiver is dropped.
fn read_frames(pipe: impl Read + Send + 'static) -> Receiver<FrameResult> {
    let (tx, frames) = mpsc::sync_channel(FRAME_QUEUE);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        loop {
            let frame = read_frame(&mut reader);
            let done = !matches!(frame, Ok(Some(_)));
            if tx.send(frame).is_err() || done {
                break;
            }
        }
    });
    frames
}

/// A thread writing each payload sent to it as a frame on the worker's stdin; it ends (closing
/// stdin) when the sender is dropped or the pipe breaks (the worker died or was killed).
fn write_frames(mut stdin: ChildStdin) -> Sender<Vec<u8>> {
    let (tx, payloads) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for payload in payloads {
            if write_frame(&mut stdin, &payload).is_err() {
                break;
            }
        }
    });
    tx
}

/// A fresh scratch folder for a sandboxed worker, in Prowl's cache (never in the workspace).
fn scratch_folder() -> Result<tempfile::TempDir, EngineError> {
    let parent = crate::env::cache_dir().join("scratch");
    std::fs::create_dir_all(&parent)
        .and_then(|_| {
            tempfile::Builder::new()
                .prefix("worker-")
                .tempdir_in(&parent)
        })
        .map_err(|e| EngineError::Spawn {
            program: format!("a scratch folder in {}", parent.display()),
            source: e,
        })
}

/// The harness keeps its files in `<temp>/prowl-harness-<pid>-<random>/`; a worker that was
/// killed or crashed leaves that folder behind.
fn remove_harness_temp(pid: u32, pycache: Option<&std::path::Path>) {
    let prefix = format!("prowl-harness-{pid}-");
    let temp = std::env::temp_dir();
    // The folder itself, and the bytecode of its files under the pycache prefix (which
    // mirrors absolute paths).
    let mut places = vec![temp.clone()];
    if let Some(cache) = pycache {
        places.push(cache.join(temp.strip_prefix("/").unwrap_or(&temp)));
    }
    for place in places {
        let Ok(entries) = std::fs::read_dir(&place) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        let name = match sig {
            libc::SIGSEGV => "SIGSEGV, a segmentation fault",
            libc::SIGKILL => "SIGKILL",
            libc::SIGABRT => "SIGABRT",
            libc::SIGBUS => "SIGBUS",
            _ => "a signal",
        };
        format!("killed by {name} ({sig})")
    } else {
        format!("exit code {}", status.code().unwrap_or(-1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A worker's stdout that never ends: `{}` frames, one per `read`, counting them.
    struct Flood {
        frames: Arc<AtomicUsize>,
        at: usize,
    }

    const FRAME: &[u8] = b"\0\0\0\x02{}";

    impl Read for Flood {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.at == 0 {
                self.frames.fetch_add(1, Ordering::SeqCst);
            }
            let n = buf.len().min(FRAME.len() - self.at);
            buf[..n].copy_from_slice(&FRAME[self.at..self.at + n]);
            self.at = (self.at + n) % FRAME.len();
            Ok(n)
        }
    }

    /// Waits (without a clock) until the reader has produced `at_least` frames, then checks
    /// many times over that it goes no further than the queue allows while nobody takes any.
    fn stays_bounded(produced: &AtomicUsize, at_least: usize, at_most: usize) {
        while produced.load(Ordering::SeqCst) < at_least {
            std::thread::yield_now();
        }
        for _ in 0..20_000 {
            let n = produced.load(Ordering::SeqCst);
            assert!(
                n <= at_most,
                "{n} frames read ahead; the queue allows {at_most}"
            );
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_worker_flooding_frames_is_read_no_further_than_the_queue() {
        let produced = Arc::new(AtomicUsize::new(0));
        let frames = read_frames(Flood {
            frames: Arc::clone(&produced),
            at: 0,
        });
        // In flight beyond the queue: the frame the reader holds while it waits to hand it
        // over, and the next one started in its buffer.
        let slack = 2;
        stays_bounded(&produced, FRAME_QUEUE + 1, FRAME_QUEUE + slack);
        for taken in 1..=5 {
            assert_eq!(frames.recv().unwrap().unwrap().unwrap(), b"{}");
            stays_bounded(
                &produced,
                taken + FRAME_QUEUE + 1,
                taken + FRAME_QUEUE + slack,
            );
        }
    }
}
