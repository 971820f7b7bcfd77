//! Analysis items: their types, how a spec file is loaded (PAT's YAML dialect, with spans) and
//! how it is validated (PAT's two schema layers and its extra checks).
//!
//! * this file: the data model (`AnalysisType`, `AnalysisItem`, `UnitTest`, `SpecTree`);
//! * `value`: what PyYAML hands PAT (`Node`, `Value`), with places; `yaml`: the loader;
//! * `pyrepr`: Python's `repr` of strings and floats, which PAT's messages embed;
//! * `validate`: PAT's validation, layer by layer; `edit`: the line-preserving test editor.
//!
//! The typed view (`AnalysisItem`) is built only from specs that passed validation, so its
//! accessors can rely on the shapes the schemas guarantee; the raw `Node` stays available for
//! anything the typed view does not cover.

pub mod edit;
pub(crate) mod pyrepr;
pub mod validate;
pub mod value;
pub mod yaml;

use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
pub use value::{Node, Span, Value};

/// A spec's loaded document, shared: an interactive session's parse cache and the item built
/// from it hold the same tree (for a panther-analysis-sized workspace the trees are about ten
/// times the YAML's size, so a copy each would cost ~12 MB). Dereferences to the root node.
#[derive(Debug, Clone)]
pub struct SpecTree(Arc<yaml::Loaded>);

impl SpecTree {
    /// The tree of `loaded`, if the document is not empty.
    pub fn new(loaded: Arc<yaml::Loaded>) -> Option<SpecTree> {
        loaded.root.is_some().then_some(SpecTree(loaded))
    }
}

impl std::ops::Deref for SpecTree {
    type Target = Node;
    fn deref(&self) -> &Node {
        match &self.0.root {
            Some(root) => root,
            // `new` refuses empty documents, so a SpecTree always has a root.
            None => unreachable!("a SpecTree is never empty"),
        }
    }
}

/// `AnalysisType` as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisType {
    /// A streaming rule: Python (`rule(event)`) or a simple detection, run on each event.
    Rule,
    /// A rule run on the rows of scheduled queries.
    ScheduledRule,
    /// A cloud-resource policy (`policy(resource)`).
    Policy,
    /// A global helper: a Python module detections import by its `GlobalID`.
    Global,
    /// A data model: field names mapped per log type (`event.udm(...)`).
    #[serde(rename = "datamodel")]
    DataModel,
    /// A pack: a named set of items deployed together.
    Pack,
    /// A saved SQL query.
    SavedQuery,
    /// A SQL query run on a schedule (what scheduled rules read).
    ScheduledQuery,
    /// A lookup table (enrichment data).
    LookupTable,
    /// A correlation rule (`Group` / `Sequence` of other rules' matches).
    CorrelationRule,
    /// A scheduled AI prompt (newer Panther content).
    ScheduledPrompt,
}

impl AnalysisType {
    /// Every analysis type.
    pub const ALL: [AnalysisType; 11] = [
        AnalysisType::Rule,
        AnalysisType::ScheduledRule,
        AnalysisType::Policy,
        AnalysisType::Global,
        AnalysisType::DataModel,
        AnalysisType::Pack,
        AnalysisType::SavedQuery,
        AnalysisType::ScheduledQuery,
        AnalysisType::LookupTable,
        AnalysisType::CorrelationRule,
        AnalysisType::ScheduledPrompt,
    ];

    /// The type a spec's `AnalysisType` names (exact spelling).
    pub fn parse(s: &str) -> Option<AnalysisType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The spelling used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisType::Rule => "rule",
            AnalysisType::ScheduledRule => "scheduled_rule",
            AnalysisType::Policy => "policy",
            AnalysisType::Global => "global",
            AnalysisType::DataModel => "datamodel",
            AnalysisType::Pack => "pack",
            AnalysisType::SavedQuery => "saved_query",
            AnalysisType::ScheduledQuery => "scheduled_query",
            AnalysisType::LookupTable => "lookup_table",
            AnalysisType::CorrelationRule => "correlation_rule",
            AnalysisType::ScheduledPrompt => "scheduled_prompt",
        }
    }

    /// The key holding the item's ID (panther-spec §1.3).
    pub fn id_field(self) -> &'static str {
        match self {
            AnalysisType::Rule | AnalysisType::ScheduledRule | AnalysisType::CorrelationRule => {
                "RuleID"
            }
            AnalysisType::Policy => "PolicyID",
            AnalysisType::Global => "GlobalID",
            AnalysisType::DataModel => "DataModelID",
            AnalysisType::Pack => "PackID",
            AnalysisType::SavedQuery | AnalysisType::ScheduledQuery => "QueryName",
            AnalysisType::LookupTable => "LookupName",
            AnalysisType::ScheduledPrompt => "PromptName",
        }
    }

    /// Whether items of this type are detections (have tests run against events).
    pub fn is_detection(self) -> bool {
        matches!(
            self,
            AnalysisType::Rule
                | AnalysisType::ScheduledRule
                | AnalysisType::Policy
                | AnalysisType::CorrelationRule
        )
    }
}

impl std::fmt::Display for AnalysisType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a rule is written: Python, YAML match expressions, or another rule's Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DetectionForm {
    /// Python code (`Filename`).
    Python,
    /// A simple detection (`Detection:` match expressions in the YAML).
    Simple,
    /// A derived detection running its `BaseDetection`'s code.
    Derived,
}

/// One unit test of a detection, as written in its spec.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct UnitTest {
    /// The test's `Name`.
    pub name: String,
    /// Its `ExpectedResult` (`false` when not a boolean; the spec is then invalid).
    pub expected_result: bool,
    /// Object names the test mocks.
    pub mocks: Vec<String>,
    /// Where the test starts in the spec (the `- Name:` line).
    pub span: Span,
}

/// A validated analysis item.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AnalysisItem {
    /// The item's ID (`RuleID`, `PolicyID`, … as its type names it).
    pub id: String,
    /// Its `AnalysisType`.
    pub analysis_type: AnalysisType,
    /// How a detection is written; `None` for other types.
    pub form: Option<DetectionForm>,
    /// Absolute path of the YAML spec.
    pub spec_path: PathBuf,
    /// Path of the spec relative to the workspace root, with `/` separators.
    pub rel_path: String,
    /// The directory as PAT's walk names it (`./rules/aws`), used by PAT's filter rules.
    #[serde(skip)]
    pub walk_dir: String,
    /// The file `Filename` names, resolved against the spec's directory.
    pub code_path: Option<PathBuf>,
    /// `DisplayName`.
    pub display_name: Option<String>,
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `Severity`.
    pub severity: Option<String>,
    /// `Status`.
    pub status: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `LogTypes`.
    pub log_types: Vec<String>,
    /// `ScheduledQueries`.
    pub scheduled_queries: Vec<String>,
    /// `ResourceTypes`.
    pub resource_types: Vec<String>,
    /// `Tags`.
    pub tags: Vec<String>,
    /// MITRE ATT&CK technique references from `Reports` (`TA0001:T1078`).
    pub mitre: Vec<String>,
    /// `BaseDetection`: the rule a derived rule builds on.
    pub base_detection: Option<String>,
    /// For packs: the IDs the pack definition lists.
    pub pack_members: Vec<String>,
    /// For correlation rules: the RuleIDs their Sequence/Group blocks name.
    pub correlated_rules: Vec<String>,
    /// `Tests`, in file order (those without a string `Name` left out).
    pub tests: Vec<UnitTest>,
    /// The loaded spec, for anything the typed fields do not cover.
    #[serde(skip)]
    pub spec: SpecTree,
}

impl AnalysisItem {
    /// Builds the typed view of a spec that passed validation.
    pub fn from_spec(
        id: String,
        analysis_type: AnalysisType,
        spec: SpecTree,
        spec_path: PathBuf,
        rel_path: String,
        walk_dir: String,
    ) -> AnalysisItem {
        let s = |k: &str| spec.get(k).and_then(Node::as_str).map(str::to_owned);
        let list = |k: &str| -> Vec<String> {
            spec.get(k)
                .and_then(Node::as_list)
                .map(|l| {
                    l.iter()
                        .filter_map(Node::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let form = match analysis_type {
            AnalysisType::Rule | AnalysisType::ScheduledRule => {
                Some(if spec.get("BaseDetection").is_some_and(Node::is_truthy) {
                    DetectionForm::Derived
                } else if spec.get("Detection").is_some() {
                    DetectionForm::Simple
                } else {
                    DetectionForm::Python
                })
            }
            AnalysisType::Policy => Some(DetectionForm::Python),
            _ => None,
        };
        let code_path = s("Filename").map(|f| {
            spec_path
                .parent()
                .unwrap_or(std::path::Path::new(""))
                .join(f)
        });
        let mitre = spec
            .get("Reports")
            .and_then(Node::as_map)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| {
                        e.key
                            .as_str()
                            .is_some_and(|k| k.to_ascii_uppercase().starts_with("MITRE"))
                    })
                    .flat_map(|e| {
                        e.value
                            .as_list()
                            .unwrap_or(&[])
                            .iter()
                            .map(|v| v.value.py_str())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tests = spec
            .get("Tests")
            .and_then(Node::as_list)
            .map(|tests| {
                tests
                    .iter()
                    .filter_map(|t| {
                        Some(UnitTest {
                            name: t.get("Name")?.as_str()?.to_owned(),
                            expected_result: t
                                .get("ExpectedResult")
                                .and_then(Node::as_bool)
                                .unwrap_or(false),
                            mocks: t
                                .get("Mocks")
                                .and_then(Node::as_list)
                                .map(|m| {
                                    m.iter()
                                        .filter_map(|m| {
                                            m.get("objectName")?.as_str().map(str::to_owned)
                                        })
                                        .collect()
                                })
                                .unwrap_or_default(),
                            span: t.span,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let pack_members = spec
            .get("PackDefinition")
            .and_then(|d| d.get("IDs"))
            .and_then(Node::string_list)
            .map(|v| v.into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let mut correlated_rules = Vec::new();
        if analysis_type == AnalysisType::CorrelationRule {
            collect_rule_ids(spec.get("Detection"), &mut correlated_rules);
        }
        AnalysisItem {
            id,
            analysis_type,
            form,
            walk_dir,
            code_path,
            display_name: s("DisplayName"),
            enabled: spec.get("Enabled").and_then(Node::as_bool),
            severity: s("Severity"),
            status: s("Status"),
            description: s("Description"),
            log_types: list("LogTypes"),
            scheduled_queries: list("ScheduledQueries"),
            resource_types: list("ResourceTypes"),
            tags: list("Tags"),
            mitre,
            base_detection: s("BaseDetection"),
            pack_members,
            correlated_rules,
            tests,
            spec_path,
            rel_path,
            spec,
        }
    }

    /// The name to show a person: `DisplayName` when set, else the ID.
    pub fn title(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }

    /// `Status: experimental|deprecated` items are left out of uploads by PAT.
    pub fn is_experimental_or_deprecated(&self) -> bool {
        self.status.as_deref().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s == "experimental" || s == "deprecated"
        })
    }
}

/// The `RuleID`s named anywhere under a correlation rule's `Detection` (Sequence/Group steps).
fn collect_rule_ids(node: Option<&Node>, out: &mut Vec<String>) {
    let Some(node) = node else { return };
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                if e.key.as_str() == Some("RuleID") {
                    if let Some(id) = e.value.as_str() {
                        if !out.iter().any(|o| o == id) {
                            out.push(id.to_owned());
                        }
                    }
                } else {
                    collect_rule_ids(Some(&e.value), out);
                }
            }
        }
        Value::List(items) => items.iter().for_each(|i| collect_rule_ids(Some(i), out)),
        _ => {}
    }
}
