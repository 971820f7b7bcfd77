//! `prowl-desktop [DIR | --start]`: the window on a workspace (the demo workspace when no
//! folder is given, the start screen with `--start`). Test workers (embedded CPython) are
//! `prowl-worker` processes the app starts, or `prowl-desktop worker …` when that binary is
//! missing.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "worker") {
        return rules_workspace::engine::embedded::run_worker_with_args(&args[1..]);
    }
    cpu_rendering_unless_asked();
    light_workers_when_installed();
    // GTK cannot start without a display; say so instead of panicking inside it.
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !has_display && !args.first().is_some_and(|a| a == "--help" || a == "-h") {
        eprintln!("error: the Prowl window needs a graphical session (DISPLAY or WAYLAND_DISPLAY is not set)");
        eprintln!("  hint: run it from a desktop session, or under `xvfb-run`; everything the app does is also a `prowl` command");
        return ExitCode::from(2);
    }
    let workspace = match args.first() {
        Some(a) if a == "--start" => None,
        Some(a) if a == "--help" || a == "-h" => {
            println!("usage: prowl-desktop [WORKSPACE_DIR | --start]");
            return ExitCode::SUCCESS;
        }
        Some(dir) => Some(std::path::PathBuf::from(dir)),
        None => match rules_workspace::session::demo_workspace() {
            Ok(dir) => Some(dir),
            Err(e) => {
                eprintln!("prowl: cannot prepare the demo workspace: {e}");
                None
            }
        },
    };
    prowl_desktop::run(workspace);
    ExitCode::SUCCESS
}

/// Test workers are `prowl-worker` (see `src/bin/prowl-worker.rs`) when it is next to this
/// binary, as the .deb and `cargo build -p prowl-desktop` place it; otherwise this binary in
/// its `worker` mode. `PROWL_WORKER_EXE` set by the user wins. Called before any thread exists.
fn light_workers_when_installed() {
    if std::env::var_os("PROWL_WORKER_EXE").is_some() {
        return;
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("prowl-worker")))
        .filter(|p| p.is_file());
    if let Some(worker) = beside {
        std::env::set_var("PROWL_WORKER_EXE", worker);
    }
}

/// WebKitGTK renders with the CPU unless `PROWL_GPU=1`: Prowl's pages are text and lists, and
/// accelerated compositing costs about 90 MB more of the web process's memory (with Mesa's
/// software renderer, the one under Xvfb or without a GPU driver: 219 -> 129 MB Pss measured on
/// the demo workspace) for nothing the app shows. A value the user set for
/// `WEBKIT_DISABLE_COMPOSITING_MODE` is left alone. Called first thing in `main`, before any
/// thread exists (changing the environment later would race with readers).
fn cpu_rendering_unless_asked() {
    let gpu = std::env::var_os("PROWL_GPU").is_some_and(|v| v == "1");
    if !gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}
