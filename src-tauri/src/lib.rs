//! Prowl's desktop shell: a Tauri window over the core library. Every command converts its
//! arguments, calls one `rules_workspace` function and converts the result; the contract with
//! the front end is `ui/CONTRACT.md`.
//!
//! Blocking work (opening a workspace, validation, test runs, git) runs on Tauri's blocking
//! thread pool or, for the workspace given at start, on its own thread; never on the main
//! thread. Python runs only in worker processes: `prowl-worker` (`src/bin/prowl-worker.rs`),
//! or this same binary started as `prowl-desktop worker` (see `main.rs`).

pub mod commands;
pub mod contract;
mod state;
mod window_state;

pub use state::AppState;

use tauri::Manager;

/// Adds the app's state, commands and start-up to a builder, for any runtime (the real
/// window, or Tauri's mock runtime in tests).
pub fn configure<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    workspace: Option<std::path::PathBuf>,
) -> tauri::Builder<R> {
    builder
        .manage(AppState::<R>::new(workspace))
        .invoke_handler(tauri::generate_handler![
            commands::open_workspace,
            commands::open_demo,
            commands::recent_workspaces,
            commands::clone_workspace,
            commands::workspace_view,
            commands::read_file,
            commands::validate_buffer,
            commands::save_file,
            commands::edit_tests,
            commands::list_tests,
            commands::recovery_save,
            commands::recovery_list,
            commands::recovery_clear,
            commands::run_tests,
            commands::cancel_run,
            commands::git_status,
            commands::git_diff,
            commands::git_stage,
            commands::git_unstage,
            commands::git_discard,
            commands::git_commit,
            commands::git_branches,
            commands::git_checkout,
            commands::environment_view,
            commands::sync_environment,
            commands::cancel_environment_sync,
            commands::trust_view,
            commands::set_trust,
            commands::audit_source,
            commands::cancel_audit,
            commands::audit_file,
            commands::replay_sources,
            commands::run_replay,
            commands::cancel_replay,
            commands::replay_impact,
            commands::replay_events,
            commands::replay_event_test,
            commands::cluster_settings,
            commands::save_cluster_settings,
            commands::check_cluster,
            commands::remote_view,
            commands::remote_login,
            commands::remote_logout,
            commands::remote_check,
            commands::remote_drift,
            commands::remote_upload,
            commands::remote_delete,
            commands::upstream_view,
            commands::upstream_set_remote,
            commands::upstream_fetch,
            commands::cancel_upstream_fetch,
            commands::upstream_item,
            commands::upstream_merge,
            commands::upstream_resolve,
            commands::upstream_accept_proposed,
            commands::upstream_commit,
            commands::upstream_abort,
            commands::upstream_undo,
        ])
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                window_state::restore(&window);
                // Shown when its page has loaded (below), or after SHOW_AT_THE_LATEST whatever
                // happened to the page, so a page that never loads still gets a window.
                let late = window.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(SHOW_AT_THE_LATEST);
                    let _ = late.show();
                });
            }
            let handle = app.handle().clone();
            app.state::<AppState<R>>().start(handle);
            Ok(())
        })
        // The window starts hidden (tauri.conf.json) and appears once its page has loaded. With
        // CPU rendering, a window mapped while WebKit's web process is still starting makes
        // the UI process wait for it (up to about half a second, measured in one launch out of
        // two on two cores), which delayed the page's load; the page also never flashes white.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                let _ = webview.window().show();
            }
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { .. } = event {
                window_state::save(window);
            }
        })
}

/// The window is shown by then even if its page has not loaded.
const SHOW_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(3);

/// Starts the app on `workspace` (the start screen when `None`).
pub fn run(workspace: Option<std::path::PathBuf>) {
    configure(tauri::Builder::default(), workspace)
        .build(tauri::generate_context!())
        .expect("error while running the Prowl window")
        .run(|app, event| {
            // The process exits without dropping the app's state: the last audited pack's
            // quarantine copy is removed here.
            if let tauri::RunEvent::Exit = event {
                app.state::<AppState>().audits.forget();
            }
        });
}
