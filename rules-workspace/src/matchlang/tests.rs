use super::simple::{compile_simple, parse_template};
use super::*;
use crate::spec::yaml::load_str;

fn node(text: &str) -> Node {
    load_str(text).expect("yaml").root.expect("a document")
}

#[test]
fn key_paths_parse_names_indexes_and_wildcards() {
    assert_eq!(parse_key_path("a.b[0].c").unwrap(), vec![json!("a"), json!("b"), json!(0), json!("c")]);
    assert_eq!(parse_key_path("a[*].b").unwrap(), vec![json!("a"), Json::Null, json!("b")]);
    assert_eq!(parse_key_path("a[1][*]").unwrap(), vec![json!("a"), json!(1), Json::Null]);
    for bad in ["", "a.", ".a", "a..b", "a[", "a[-1]", "a[x]"] {
        assert!(parse_key_path(bad).is_err(), "{bad} should not parse");
    }
}
