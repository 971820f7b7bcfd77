/// The commands the UI may call: Tauri generates one permission per command, and the
/// capability file (`capabilities/default.json`) grants exactly these to the main window.
const COMMANDS: &[&str] = &[
    "open_workspace",
    "open_demo",
    "recent_workspaces",
    "clone_workspace",
    "workspace_view",
    "read_file",
    "validate_buffer",
    "save_file",
    "edit_tests",
    "list_tests",
    "recovery_save",
    "recovery_list",
    "recovery_clear",
    "run_tests",
    "cancel_run",
    "git_status",
    "git_diff",
    "git_stage",
    "git_unstage",
    "git_discard",
    "git_commit",
    "git_branches",
    "git_checkout",
    "environment_view",
    "sync_environment",
    "cancel_environment_sync",
    "trust_view",
    "set_trust",
    "audit_source",
    "cancel_audit",
    "audit_file",
    "replay_sources",
    "run_replay",
    "cancel_replay",
    "replay_impact",
    "replay_events",
    "replay_event_test",
    "cluster_settings",
    "save_cluster_settings",
    "check_cluster",
    "remote_view",
    "remote_login",
    "remote_logout",
    "remote_check",
    "remote_drift",
    "remote_upload",
    "remote_delete",
    "upstream_view",
    "upstream_set_remote",
    "upstream_fetch",
    "cancel_upstream_fetch",
    "upstream_item",
    "upstream_merge",
    "upstream_resolve",
    "upstream_accept_proposed",
    "upstream_commit",
    "upstream_abort",
    "upstream_undo",
];

fn main() {
    // The test workers (`prowl-worker`, and `prowl-desktop worker`) embed CPython: link
    // libpython with an rpath, as the `prowl` binary does.
    pyo3_build_config::add_libpython_rpath_link_args();
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
