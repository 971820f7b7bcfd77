//! Property-based fuzzing of the YAML loader and the validator: whatever the bytes, they load
//! or fail with a located error, and validation never panics. Runs briefly in every test run
//! (`PROPTEST_CASES` raises the count for a longer session).

use proptest::prelude::*;
use rules_workspace::spec::validate::{classify, LoadFailure, SpecFile, ValidationOptions};
use rules_workspace::spec::yaml;

fn spec_file(content: Result<yaml::Loaded, yaml::YamlError>) -> SpecFile {
    SpecFile {
        path: "/fuzz/rules/x.yml".into(),
        rel_path: "rules/x.yml".into(),
        walk_dir: "./rules".into(),
        content: content.map(std::sync::Arc::new).map_err(LoadFailure::Yaml),
    }
}

/// YAML-shaped text: keys PAT knows, scalars of every resolver kind, flow and block syntax,
/// indentation noise.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "AnalysisType",
        "RuleID",
        "Filename",
        "Enabled",
        "LogTypes",
        "Severity",
        "Tests",
        "Name",
        "ExpectedResult",
        "Log",
        "Mocks",
        "Detection",
        "Tags",
        "<<",
        "PolicyID",
        "Schedule",
    ]);
    let scalar = prop::sample::select(vec![
        "rule",
        "policy",
        "true",
        "yes",
        "0644",
        "1_000",
        "1:30",
        "1.5",
        "1e5",
        ".inf",
        "~",
        "''",
        "\"x\"",
        "[a, b]",
        "{a: 1}",
        "*a",
        "&a x",
        "!!str 1",
        "!foo x",
        "- x",
        "|",
        ">",
        "'",
        "Medium",
        "2024-01-01",
        "-",
        "?",
        ":",
        "#c",
    ]);
    let line = (0..6usize, key, scalar)
        .prop_map(|(indent, k, v)| format!("{}{k}: {v}", " ".repeat(indent)));
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let loaded = yaml::load_bytes(&bytes);
        if let Err(e) = &loaded {
            prop_assert!(e.span.line >= 1);
        }
        let _ = classify(vec![spec_file(loaded)], &ValidationOptions::default());
    }

    #[test]
    fn yaml_shaped_text_loads_or_errs_and_validates_without_panic(text in yamlish()) {
        let loaded = yaml::load_str(&text);
        if let Err(e) = &loaded {
            prop_assert!(e.span.line >= 1 && e.span.line as usize <= text.lines().count().max(1) + 1, "{e:?}");
        }
        let _ = classify(vec![spec_file(loaded)], &ValidationOptions::default());
    }

    #[test]
    fn plain_string_mappings_keep_their_keys_and_order(
        entries in prop::collection::vec(("[A-Za-z][A-Za-z0-9_]{0,10}", "[a-z][a-z ]{0,20}[a-z]"), 1..12)
    ) {
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<_> = entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect();
        let text: String = entries.iter().map(|(k, v)| format!("{k}: '{v}'\n")).collect();
        let root = yaml::load_str(&text).unwrap().root.unwrap();
        let map = root.as_map().unwrap();
        prop_assert_eq!(map.len(), entries.len());
        for (i, (k, v)) in entries.iter().enumerate() {
            prop_assert_eq!(map[i].key.as_str(), Some(k.as_str()));
            prop_assert_eq!(map[i].value.as_str(), Some(v.as_str()));
            prop_assert_eq!(map[i].key.span.line as usize, i + 1);
        }
    }
}
