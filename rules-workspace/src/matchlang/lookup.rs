//! Enrichment from lookup tables whose data is in the workspace.
//!
//! Panther enriches an event at ingestion: for each lookup table associated with the event's
//! log type, the value at each of the table's `Selectors` is looked up by the table's
//! `PrimaryKey` (an exact value, or a network containing an address), and the matching row is
//! attached as `p_enrichment.<LookupName>.<Selector>`. An `Enrichment: {Table, Selector,
//! FieldPath}` expression reads that. Tests and exported events usually carry `p_enrichment`
//! already; when an event lacks it and the workspace has the table's data (`Filename`: JSON
//! lines, a JSON array, or CSV with a header row), `prowl_match` joins it the same way. Tables
//! whose data lives elsewhere (`Refresh` from S3) cannot be joined: their tests must carry
//! `p_enrichment`. A data file outside the workspace (or a link leading out of it) is never read.

use crate::spec::{AnalysisItem, AnalysisType, Node};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeSet;
use std::path::Path;

/// The largest data file read for a join (a lookup table bigger than this is left out).
const MAX_DATA_BYTES: u64 = 16 * 1024 * 1024;

/// The lookup tables a compiled program reads (`["p_enrichment", TABLE, …]` paths).
pub fn tables_read(program: &Json) -> BTreeSet<String> {
    fn walk(v: &Json, out: &mut BTreeSet<String>) {
        if let Json::Array(items) = v {
            if let (Some("p_enrichment"), Some(Json::String(table))) =
                (items.first().and_then(Json::as_str), items.get(1))
            {
                out.insert(table.clone());
            }
            for i in items {
                walk(i, out);
            }
        } else if let Json::Object(map) = v {
            for i in map.values() {
                walk(i, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(program, &mut out);
    out
}

/// The data of the workspace's lookup tables `program` reads, for `prowl_match`:
/// `{LookupName: {"key": PrimaryKey, "selectors": {LogType: [selector…]}, "rows": [row…]}}`.
/// Tables without local data (or with data that cannot be read) are left out: the events' own
/// `p_enrichment` is all there is for them.
pub fn lookups_for(program: &Json, items: &[AnalysisItem]) -> Option<Json> {
    let wanted = tables_read(program);
    if wanted.is_empty() {
        return None;
    }
    let mut out = Map::new();
    for item in items {
        if item.analysis_type != AnalysisType::LookupTable || !wanted.contains(&item.id) {
            continue;
        }
        if let Some(table) = read_table(item) {
            out.insert(item.id.clone(), table);
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

fn read_table(item: &AnalysisItem) -> Option<Json> {
    let file = item.spec.get("Filename").and_then(Node::as_str)?;
    // Only a file inside the workspace (the spec's path less its workspace-relative part): a
    // hostile spec must not make Prowl's unsandboxed process read `~/.ssh` into a worker.
    let depth = Path::new(&item.rel_path).components().count();
    let root = item.spec_path.ancestors().nth(depth)?;
    let path = item.spec_path.parent()?.join(file);
    let bytes = crate::workspace::read_inside(root, &path, MAX_DATA_BYTES).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let map = item.spec.get("LogTypeMap")?;
    let key = map.get("PrimaryKey").and_then(Node::as_str)?;
    let mut selectors = Map::new();
    for assoc in map
        .get("AssociatedLogTypes")
        .and_then(Node::as_list)
        .unwrap_or_default()
    {
        let (Some(log_type), Some(list)) = (
            assoc.get("LogType").and_then(Node::as_str),
            assoc.get("Selectors").and_then(Node::string_list),
        ) else {
            continue;
        };
        selectors.insert(log_type.to_owned(), json!(list));
    }
    let rows = if file.to_ascii_lowercase().ends_with(".csv") {
        parse_csv(&text)
    } else {
        parse_json_rows(&text)
    };
    Some(json!({"key": key, "selectors": selectors, "rows": rows}))
}

/// A JSON array of objects, or one object per line.
fn parse_json_rows(text: &str) -> Vec<Json> {
    if let Ok(Json::Array(rows)) = serde_json::from_str::<Json>(text) {
        return rows.into_iter().filter(Json::is_object).collect();
    }
    text.lines()
        .filter_map(|l| serde_json::from_str::<Json>(l.trim()).ok())
        .filter(Json::is_object)
        .collect()
}

/// CSV with a header row (RFC 4180 quoting); every value a string.
fn parse_csv(text: &str) -> Vec<Json> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    let mut it = records.into_iter();
    let Some(header) = it.next() else {
        return Vec::new();
    };
    it.filter(|r| r.iter().any(|f| !f.is_empty()))
        .map(|r| {
            Json::Object(
                header
                    .iter()
                    .cloned()
                    .zip(r.into_iter().map(Json::String))
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_follow_the_header_and_quotes() {
        let rows =
            parse_csv("ip,owner,note\n10.0.0.0/8,\"Corp, Inc\",\"say \"\"hi\"\"\"\r\n1.2.3.4,x,\n");
        assert_eq!(
            rows,
            vec![
                json!({"ip": "10.0.0.0/8", "owner": "Corp, Inc", "note": "say \"hi\""}),
                json!({"ip": "1.2.3.4", "owner": "x", "note": ""}),
            ]
        );
    }

    #[test]
    fn programs_name_the_tables_they_read() {
        let program = json!({"detection": ["all", [["cond", ["p_enrichment", "geo", "ip", "city"], "Equals", "x"],
            ["cond", ["a"], "Exists", null]]], "context": [["c", ["p_enrichment", "owners", "user"]]]});
        assert_eq!(
            tables_read(&program),
            ["geo".to_owned(), "owners".to_owned()].into()
        );
        assert!(parse_json_rows("{\"a\": 1}\n[1]\n{\"b\": 2}\n").len() == 2);
    }
}
