//! The plan of a run: PAT's decision for each selected detection, made before anything runs
//! (`--skip-disabled-tests`, `--test-names` checked before a derived detection inherits its
//! base's tests, bases looked up among the filtered detections only, simple detections and
//! correlation rules skipped without a backend), and the requests for the ones that run.
//!
//! Order is PAT's: rules, scheduled rules, policies and correlation rules in walk order, then
//! simple detections. Nothing here talks to a worker.

use super::TestOptions;
use crate::engine::messages::{
    DataModelFile, GlobalFile, LoadWorkspace, Request, RunDetection, TestCase,
};
use crate::engine::pool::Load;
use crate::spec::{AnalysisItem, AnalysisType, DetectionForm, Node};
use crate::workspace::Workspace;
use std::time::Duration;

/// What PAT does for one detection.
pub(super) enum Plan<'a> {
    /// `--skip-disabled-tests` on a disabled detection.
    SkipDisabled {
        spec_file: String,
        item: &'a AnalysisItem,
    },
    /// `--test-names` matched none of its own tests.
    NoTestsMatch {
        spec_file: String,
        item: &'a AnalysisItem,
    },
    /// A derived detection whose base is not among the filtered detections.
    BaseMissing { id: String, base: String },
    /// A simple detection (PAT skips it without a backend).
    Simple,
    /// A detection block; `request` indexes the requests (none for a correlation rule, which
    /// PAT lists as skipped and then prints without running anything).
    Run {
        spec_file: String,
        id: String,
        tests_node: Option<&'a Node>,
        all_tests: Vec<&'a Node>,
        request: Option<usize>,
        correlation: Option<&'a AnalysisItem>,
    },
}

/// A detection's request and the item whose code it runs (a derived detection's base).
pub(super) struct DetectionRequest<'a> {
    pub body: RunDetection,
    pub code_item: &'a AnalysisItem,
}

/// The plan of a run: one entry per detection in PAT's order, and the requests to send.
pub(super) struct RunPlan<'a> {
    pub plans: Vec<Plan<'a>>,
    pub requests: Vec<DetectionRequest<'a>>,
    /// How many detections PAT counts in its summary.
    pub counted: usize,
}

/// Whether PAT treats the item as a simple detection (skipped without a backend).
pub(super) fn is_simple(item: &AnalysisItem) -> bool {
    item.form == Some(DetectionForm::Simple) && item.analysis_type != AnalysisType::CorrelationRule
}

/// The selected detections in PAT's order: everything but simple detections in walk order,
/// then the simple detections.
pub(super) fn detections_in_pat_order<'a>(selected: &[&'a AnalysisItem]) -> Vec<&'a AnalysisItem> {
    selected
        .iter()
        .copied()
        .filter(|i| i.analysis_type.is_detection() && !is_simple(i))
        .chain(selected.iter().copied().filter(|i| is_simple(i)))
        .collect()
}

/// `os.path.join(<folder as PAT's walk names it>, Filename)`.
fn pat_join(item: &AnalysisItem, filename: &str) -> String {
    if filename.starts_with('/') {
        filename.to_owned()
    } else {
        format!("{}/{}", item.walk_dir, filename)
    }
}

fn code_file(item: &AnalysisItem) -> Option<String> {
    item.spec
        .get("Filename")
        .and_then(Node::as_str)
        .map(|f| pat_join(item, f))
}

/// A request running `tests` of `item` with `code_item`'s code (a derived rule's base).
pub(super) fn run_request(
    item: &AnalysisItem,
    code_item: &AnalysisItem,
    tests: &[&Node],
) -> RunDetection {
    RunDetection {
        id: item.id.clone(),
        analysis_type: item.analysis_type.as_str().to_owned(),
        spec_path: item.spec_path.display().to_string(),
        create_alert: item.spec.get("CreateAlert").map(Node::to_json),
        path: code_file(code_item),
        body: None,
        source_path: None,
        filters: None,
        backend_filters: None,
        tests: tests.iter().map(|t| test_case(t)).collect(),
    }
}

fn test_case(test: &Node) -> TestCase {
    let json = |key: &str| test.get(key).map(Node::to_json);
    let resource = json("Resource");
    TestCase {
        name: json("Name").unwrap_or_default(),
        expected_result: json("ExpectedResult").unwrap_or_default(),
        mocks: json("Mocks").unwrap_or_else(|| serde_json::Value::Array(Vec::new())),
        log: if resource.is_none() {
            json("Log")
        } else {
            None
        },
        resource,
    }
}

/// The load request and its key: the request text plus the content of every file it reads.
pub(super) fn load_request(
    ws: &Workspace,
    selected: &[&AnalysisItem],
    options: &TestOptions,
) -> Load {
    let of_type = |t: AnalysisType| selected.iter().filter(move |i| i.analysis_type == t);
    let request = Request::LoadWorkspace(LoadWorkspace {
        root: ws.root.clone(),
        globals: of_type(AnalysisType::Global)
            .map(|g| GlobalFile {
                id: g.id.clone(),
                path: code_file(g),
            })
            .collect(),
        data_models: of_type(AnalysisType::DataModel)
            .map(|d| DataModelFile {
                id: d.id.clone(),
                spec_path: d.spec_path.clone(),
                path: code_file(d),
                enabled: d.enabled,
                log_types: d.log_types.clone(),
                mappings: d.spec.get("Mappings").map(Node::to_json),
            })
            .collect(),
        available_destinations: options.available_destinations.clone(),
        replay: None,
    });
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&request)
        .unwrap_or_default()
        .hash(&mut h);
    for item in of_type(AnalysisType::Global).chain(of_type(AnalysisType::DataModel)) {
        if let Some(code) = &item.code_path {
            crate::workspace::read_bounded(code, crate::workspace::save::MAX_TEXT_BYTES)
                .ok()
                .hash(&mut h);
        }
    }
    Load {
        request,
        key: h.finish(),
        timeout: Duration::from_secs(120),
    }
}

/// PAT's decision for each detection (`detections` in PAT's order) and the requests to run.
pub(super) fn plan<'a>(detections: &[&'a AnalysisItem], options: &TestOptions) -> RunPlan<'a> {
    let mut plans: Vec<Plan> = Vec::new();
    let mut requests: Vec<DetectionRequest> = Vec::new();
    let wanted_ids = options.only.as_ref();
    let counted = detections
        .iter()
        .filter(|d| wanted_ids.is_none_or(|w| w.contains(&d.id)))
        .count();
    let wanted = |t: &&Node| {
        t.get("Name")
            .and_then(Node::as_str)
            .is_some_and(|n| options.test_names.iter().any(|x| x == n))
    };
    for &item in detections {
        if wanted_ids.is_some_and(|w| !w.contains(&item.id)) {
            continue;
        }
        let spec_file = item.spec_path.display().to_string();
        if options.skip_disabled_tests && item.enabled != Some(true) {
            plans.push(Plan::SkipDisabled { spec_file, item });
            continue;
        }
        let det_id = item.id.clone();
        if !options.test_names.is_empty() {
            let own = item.spec.get("Tests").and_then(Node::as_list);
            if !own.into_iter().flatten().any(|t| wanted(&t)) {
                plans.push(Plan::NoTestsMatch { spec_file, item });
                continue;
            }
        }
        let list = |node: Option<&'a Node>| -> Vec<&'a Node> {
            node.and_then(Node::as_list)
                .map(|l| l.iter().collect())
                .unwrap_or_default()
        };
        if item.analysis_type == AnalysisType::CorrelationRule {
            let tests_node = item.spec.get("Tests");
            plans.push(Plan::Run {
                spec_file,
                id: det_id,
                tests_node,
                all_tests: list(tests_node),
                request: None,
                correlation: Some(item),
            });
            continue;
        }
        let mut tests_node: Option<&Node> = item.spec.get("Tests");
        let code_item = match item.base_detection.as_deref().filter(|b| !b.is_empty()) {
            Some(base_id) => {
                let base = detections
                    .iter()
                    .find(|d| d.spec.get("RuleID").and_then(Node::as_str) == Some(base_id));
                let Some(&base) = base else {
                    plans.push(Plan::BaseMissing {
                        id: det_id,
                        base: base_id.to_owned(),
                    });
                    continue;
                };
                if tests_node.is_none() && base.spec.get("Tests").is_some_and(Node::is_truthy) {
                    tests_node = base.spec.get("Tests");
                }
                base
            }
            None if is_simple(item) => {
                plans.push(Plan::Simple);
                continue;
            }
            None => item,
        };
        let all_tests = list(tests_node);
        let tests: Vec<TestCase> = match tests_node {
            Some(_) => all_tests
                .iter()
                .filter(|t| options.test_names.is_empty() || wanted(t))
                .map(|t| test_case(t))
                .collect(),
            None => Vec::new(),
        };
        let body = RunDetection {
            id: det_id.clone(),
            analysis_type: item.analysis_type.as_str().to_owned(),
            spec_path: spec_file.clone(),
            create_alert: item.spec.get("CreateAlert").map(Node::to_json),
            path: code_file(code_item),
            body: None,
            source_path: None,
            filters: None,
            backend_filters: None,
            tests,
        };
        plans.push(Plan::Run {
            spec_file,
            id: det_id,
            tests_node,
            all_tests,
            request: Some(requests.len()),
            correlation: None,
        });
        requests.push(DetectionRequest { body, code_item });
    }
    RunPlan {
        plans,
        requests,
        counted,
    }
}
