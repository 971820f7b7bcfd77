//! Embeds the demo workspace (`demo/base`, `demo/upstream-v2`, `demo/local`) into the binary,
//! so `prowl demo` works from any directory and in a packaged app.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Link libpython with an rpath so the embedded interpreter is the one we built against
    // (without it the loader may pick another libpython3.11 on the machine).
    pyo3_build_config::add_libpython_rpath_link_args();
    let config = pyo3_build_config::get();
    if let Some(exe) = config.executable() {
        println!("cargo:rustc-env=PROWL_BUILD_PYTHON={exe}");
        // The embedded interpreter must find this interpreter's standard library, whatever
        // `python3` comes first on the user's PATH; the worker sets PYTHONHOME to this.
        let prefix = std::process::Command::new(exe)
            .args(["-c", "import sys; print(sys.base_prefix)"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        if let Some(prefix) = prefix {
            println!("cargo:rustc-env=PROWL_BUILD_PYTHON_PREFIX={prefix}");
        }
    }
    println!(
        "cargo:rustc-env=PROWL_BUILD_PYTHON_VERSION={}.{}",
        config.version().major,
        config.version().minor
    );
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let demo = Path::new(&manifest).join("demo");
    println!("cargo:rerun-if-changed=demo");
    let mut files = Vec::new();
    for part in ["base", "upstream-v2", "local"] {
        collect(&demo.join(part), &demo, &mut files);
    }
    files.sort();
    let mut out = String::from("/// The demo files: path relative to `demo/`, and contents.\npub static DEMO_FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in files {
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({abs:?})),");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("demo_files.rs");
    std::fs::write(dest, out).expect("write demo_files.rs");
}

fn collect(dir: &Path, demo: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "__pycache__") {
                continue;
            }
            collect(&path, demo, out);
        } else {
            let rel = path
                .strip_prefix(demo)
                .expect("under demo/")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path.to_string_lossy().into_owned()));
        }
    }
}
