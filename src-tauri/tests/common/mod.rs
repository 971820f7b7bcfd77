//! The app on Tauri's mock runtime (no window system): its commands called through the real
//! IPC layer, with the real capabilities.

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

pub struct Harness {
    /// Kept alive for the window's sake; some test files also read its state.
    #[allow(dead_code)]
    pub app: tauri::App<MockRuntime>,
    pub window: tauri::WebviewWindow<MockRuntime>,
}

impl Harness {
    pub fn new() -> Harness {
        let app = prowl_desktop::configure(mock_builder(), None)
            .build(tauri::generate_context!(test = true))
            .expect("app builds");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window builds");
        Harness { app, window }
    }

    /// Calls a command as the page would: its answer, or the error it rejects with.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|b| b.deserialize::<Value>().unwrap())
    }

    /// The call fails with the error shape `{code, message, hint, location}` whose `code` is
    /// `code` (or starts with it, when it ends with a dot: `git.`) and whose message mentions
    /// `needle`.
    #[allow(dead_code)] // not every test file checks failures
    pub fn fails(&self, cmd: &str, args: Value, code: &str, needle: &str) -> Value {
        let err = match self.call(cmd, args.clone()) {
            Ok(v) => panic!("{cmd}({args}) succeeded: {v}"),
            Err(e) => e,
        };
        let got = err["code"].as_str().unwrap_or_default();
        if code.ends_with('.') {
            assert!(got.starts_with(code), "{cmd}: {err}");
        } else {
            assert_eq!(got, code, "{cmd}: {err}");
        }
        for key in ["message", "hint", "location"] {
            assert!(err.get(key).is_some(), "{cmd}: no `{key}` in {err}");
        }
        let message = err["message"].as_str().unwrap_or("");
        assert!(
            message.contains(needle),
            "{cmd}: `{message}` should mention `{needle}`"
        );
        err
    }
}

/// Workers as the app starts them (`prowl-worker`), on the managed test environment
/// (tests/setup.sh makes it; created on first use if missing).
#[allow(dead_code)]
pub fn use_test_environment() {
    if std::env::var_os("PROWL_PYTHON_ENV").is_none() {
        let home = std::env::var_os("HOME").unwrap_or_default();
        let cache = std::env::var_os("PROWL_CACHE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(home).join(".cache/prowl"));
        std::env::set_var("PROWL_PYTHON_ENV", cache.join("test-env"));
    }
    std::env::set_var("PROWL_WORKER_EXE", env!("CARGO_BIN_EXE_prowl-worker"));
}
