//! The last step of every edit: the new text is loaded again and must hold exactly the data
//! the edit describes, with no new duplicate key; otherwise the edit is refused.
//!
//! Invariant: nothing is written unless this check passed.

use super::locate::Spec;
use super::ops::set_key;
use super::EditError;
use crate::spec::value::Node;
use crate::spec::yaml;
use serde_json::Value as Json;

/// Reads the result back and checks it holds exactly the expected data.
pub(super) fn verify(spec: &Spec, text: &str, expected_tests: Vec<Json>) -> Result<(), EditError> {
    let failed = |detail: String| EditError::NotRoundTripping { detail };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let loaded = yaml::load_str(body).map_err(|e| {
        failed(format!(
            "it would not parse: line {}: {}",
            e.span.line, e.message
        ))
    })?;
    let got = loaded.root.as_ref().map_or(Json::Null, Node::to_json);
    let mut want = spec.root.to_json();
    set_key(&mut want, "Tests", Json::Array(expected_tests));
    if got != want {
        let (got_tests, want_tests) = (got.get("Tests"), want.get("Tests"));
        let detail = if got_tests == want_tests {
            "keys outside `Tests` would change".to_owned()
        } else {
            let got_tests = got_tests
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice);
            let want_tests = want_tests
                .and_then(Json::as_array)
                .map_or(&[][..], Vec::as_slice);
            match (0..want_tests.len().max(got_tests.len()))
                .find(|&i| got_tests.get(i) != want_tests.get(i))
            {
                Some(i) => format!(
                    "test {i} would read back as {} instead of {}",
                    brief(got_tests.get(i)),
                    brief(want_tests.get(i))
                ),
                None => "`Tests` would read back differently".to_owned(),
            }
        };
        return Err(failed(detail));
    }
    if loaded.duplicate_keys.len() != spec.duplicates.len() {
        return Err(failed("it would hold a duplicate key".into()));
    }
    Ok(())
}

fn brief(value: Option<&Json>) -> String {
    let text = value.map_or("nothing".to_owned(), Json::to_string);
    if text.chars().count() > 200 {
        format!("{}…", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}
