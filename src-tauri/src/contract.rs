//! The types the window and the shell exchange, as TypeScript: generated from the Rust types
//! (ts-rs) into `ui/src/lib/generated/contract.ts`, so the front end's types cannot drift from
//! what the commands send. `tests/contract.rs` fails when that file is stale and rewrites it
//! when run with `PROWL_BLESS_CONTRACT=1`.
//!
//! ts-rs was chosen over specta: it is a stable release line (specta 2 has been a release
//! candidate for years), it only derives a trait (nothing at run time, no registry of commands
//! to keep in step with Tauri's), and it honours the serde attributes the types already carry
//! (`rename_all`, `tag`, `flatten`, `skip`), which is what the window actually receives.

use std::any::TypeId;
use std::collections::BTreeMap;
use ts_rs::{Config, TypeVisitor, TS};

/// Every type a command sends or receives, with the types they use.
pub fn typescript() -> String {
    let mut out = Collector {
        cfg: Config::new().with_large_int("number"),
        seen: Vec::new(),
        decls: BTreeMap::new(),
    };
    roots(&mut out);
    let mut text = String::from(
        "// Generated from Prowl's Rust types by ts-rs (src-tauri/src/contract.rs); do not edit.\n\
         // Regenerate: PROWL_BLESS_CONTRACT=1 cargo test -p prowl-desktop --test contract\n",
    );
    for decl in out.decls.values() {
        text.push('\n');
        text.push_str("export ");
        text.push_str(decl);
        text.push('\n');
    }
    // Values the editor offers, from the tables the core checks against.
    let names: Vec<String> = rules_workspace::matchlang::condition_names()
        .map(|c| format!("\"{c}\""))
        .collect();
    text.push_str(&format!(
        "\n/** Match-expression conditions Prowl's compiler knows (rules_workspace::matchlang). */\n\
         export const MATCH_CONDITIONS = [{}] as const;\n",
        names.join(", ")
    ));
    text
}

/// The types the commands name (`ui/CONTRACT.md`); what they use is found from them.
fn roots(v: &mut Collector) {
    use rules_workspace as core;
    v.visit::<core::session::WorkspaceView<'static>>();
    v.visit::<core::diagnostics::Diagnostic>();
    v.visit::<crate::commands::Cloned<'static>>();
    v.visit::<crate::commands::FileText>();
    v.visit::<crate::commands::Saved>();
    v.visit::<crate::commands::Edited>();
    v.visit::<crate::commands::Committed>();
    v.visit::<core::spec::edit::TestEdit>();
    v.visit::<core::spec::edit::TestInfo>();
    v.visit::<core::workspace::recovery::Recovered>();
    v.visit::<core::session::TestReport>();
    v.visit::<core::testing::Progress>();
    v.visit::<core::fork::Status>();
    v.visit::<core::fork::FileDiff>();
    v.visit::<core::fork::Branch>();
    v.visit::<core::fork::CloneProgress>();
    v.visit::<core::session::shared::Changed>();
    v.visit::<core::error::ErrorInfo>();
    v.visit::<core::session::shared::EnvironmentView>();
    v.visit::<core::session::shared::EnvSyncOutcome>();
    v.visit::<core::trust::TrustState>();
    v.visit::<core::audit::AuditReport>();
    v.visit::<core::audit::AuditProgress>();
    v.visit::<crate::commands::AuditSourceKind>();
    v.visit::<core::session::replay::ReplayView>();
    v.visit::<core::session::replay::ImpactView>();
    v.visit::<core::replay::ReplayProgress>();
    v.visit::<core::session::replay::AlertEvents>();
    v.visit::<core::session::replay::EventTest>();
    v.visit::<core::session::cluster::ClusterSettingsView>();
    v.visit::<core::replay::cluster::ClusterCheck>();
    v.visit::<core::session::deploy::RemoteView>();
    v.visit::<core::session::deploy::Connection>();
    v.visit::<core::session::deploy::DriftView>();
    v.visit::<core::session::deploy::DeployOutcome>();
    v.visit::<core::session::deploy::DeleteOutcome>();
    v.visit::<core::remote::deploy::Event>();
    v.visit::<core::session::upstream::UpstreamView>();
    v.visit::<core::session::upstream::ItemDetail>();
    v.visit::<core::session::upstream::UpstreamDone>();
    v.visit::<core::upstream::FetchProgress>();
    v.visit::<core::upstream::Take>();
}

struct Collector {
    cfg: Config,
    seen: Vec<TypeId>,
    /// By TypeScript name, so the file's order does not depend on the order of visits.
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only declared types (structs and enums deriving TS) have a declaration; built-in
        // ones (strings, numbers, lists) are written inline.
        if ts_rs::Dependency::from_ty::<T>(&self.cfg).is_none() {
            return;
        }
        let id = TypeId::of::<T>();
        if self.seen.contains(&id) {
            return;
        }
        self.seen.push(id);
        // Two Rust types of one name would silently share one TypeScript declaration: the
        // second would replace the first (`#[ts(rename = "…")]` one of them).
        if let Some(earlier) = self.decls.insert(T::name(&self.cfg), T::decl(&self.cfg)) {
            panic!(
                "two contract types are named `{}` in TypeScript; rename one with #[ts(rename)]:\n{earlier}",
                T::name(&self.cfg)
            );
        }
        T::visit_dependencies(self);
    }
}
