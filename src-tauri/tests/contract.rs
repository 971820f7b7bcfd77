//! The front end's types are generated from the Rust types (`src/contract.rs`): this fails when
//! `ui/src/lib/generated/contract.ts` is not what the Rust types generate now, so a field added,
//! renamed or removed on the Rust side cannot reach the window unnoticed. With
//! `PROWL_BLESS_CONTRACT=1` it rewrites the file instead.

use std::path::Path;

#[test]
fn the_generated_typescript_contract_is_current() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated/contract.ts");
    let want = prowl_desktop::contract::typescript();
    if std::env::var_os("PROWL_BLESS_CONTRACT").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&file).unwrap_or_default();
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
        panic!(
            "{} is stale: the Rust types of the contract changed (first difference at line {}: \
             has {:?}, the Rust types give {:?}).\n\
             hint: run `PROWL_BLESS_CONTRACT=1 cargo test -p prowl-desktop --test contract` and \
             commit the regenerated file (then fix the front end where its types changed)",
            file.display(),
            first + 1,
            have.lines().nth(first).unwrap_or("<end of file>"),
            want.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}
