//! `prowl-worker worker [--site-packages DIR]`: the desktop app's test worker (embedded CPython
//! serving framed requests on stdin/stdout, `rules_workspace::engine`).
//!
//! A binary of its own so that a worker does not load the window's libraries: `prowl-desktop`
//! links GTK and WebKitGTK (about 170 shared libraries), and every worker started from it paid
//! for mapping and relocating them (~12 MB of memory each, and start-up time) without using
//! them; this one links libpython and the C library only. The app uses it when it is installed
//! next to `prowl-desktop` (the .deb installs every binary of this package), and falls back to
//! `prowl-desktop worker` otherwise.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_none_or(|a| a != "worker") {
        eprintln!("usage: prowl-worker worker [--site-packages DIR]");
        eprintln!("  this is Prowl's test worker, started by the desktop app; run `prowl` or `prowl-desktop` instead");
        return ExitCode::from(2);
    }
    rules_workspace::engine::embedded::run_worker_with_args(&args[1..])
}
