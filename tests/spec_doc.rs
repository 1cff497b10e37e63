//! Keeps docs/spec.md, the list of rules the code and tests refer to by ID,
//! honest: every test it names as keeping a rule exists, and every rule ID
//! (P1, D4, C10, …) written in the code or the tests has an entry there.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const DOC: &str = "docs/spec.md";

/// Where rule IDs are looked for, and in which files.
const SCANNED_DIRS: &[&str] = &[
    "src",
    "tests",
    "examples",
    "crates/ssekit-test-support/src",
    "crates/ssekit-wasm/src",
    "crates/ssekit-wasm/js",
    "crates/ssekit-wasm/tests",
];
const SCANNED_EXTENSIONS: &[&str] = &["rs", "mjs", "js"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// One row of a table in the doc: its first cell (a rule ID, or an
/// extension's name) and the code spans of its last cell ("Kept by").
struct Row {
    line: usize,
    first: String,
    kept_by: Vec<String>,
}

fn rows(doc: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, line) in doc.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let first = cells[0];
        let is_separator = cells.iter().all(|cell| cell.chars().all(|c| c == '-'));
        if is_separator || first == "ID" || first == "Extension" {
            continue;
        }
        let last = cells[cells.len() - 1];
        rows.push(Row {
            line: index + 1,
            first: first.to_string(),
            kept_by: last
                .split('`')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect(),
        });
    }
    rows
}

/// A test as the doc names it.
#[derive(Debug, PartialEq)]
enum TestRef<'a> {
    /// `path::name`: a Rust test function.
    Rust { path: &'a str, name: &'a str },
    /// `path: "title"`: a Node test with that title.
    Js { path: &'a str, title: &'a str },
}

fn parse_ref(span: &str) -> Option<TestRef<'_>> {
    if let Some((path, name)) = span.split_once("::") {
        let is_ident = !name.is_empty() && name.bytes().all(is_word_byte);
        return (path.ends_with(".rs") && is_ident).then_some(TestRef::Rust { path, name });
    }
    let (path, quoted) = span.split_once(": ")?;
    let title = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let is_js = path.ends_with(".mjs") || path.ends_with(".js");
    (is_js && !title.is_empty()).then_some(TestRef::Js { path, title })
}

/// Whether `source` defines `fn name` (not merely a function whose name
/// starts with `name`).
fn defines_fn(source: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    source.match_indices(&needle).any(|(at, _)| {
        let before = source[..at].bytes().next_back();
        let after = source[at + needle.len()..].bytes().next();
        !before.is_some_and(is_word_byte) && !after.is_some_and(is_word_byte)
    })
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The rule IDs written in `text`: `P`, `D` or `C` and one or two digits,
/// standing alone. Not part of a longer word or number (`C3PO`, `P2P`,
/// `0xD1`, `P123`), nor a percent-encoded byte (`%C3`). In a range such as
/// `P1–P12` it finds the two ends.
fn rule_ids(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    for (at, &byte) in bytes.iter().enumerate() {
        if !matches!(byte, b'P' | b'D' | b'C') {
            continue;
        }
        if at > 0 && (is_word_byte(bytes[at - 1]) || bytes[at - 1] == b'%') {
            continue;
        }
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = at + 1 + digits;
        if (1..=2).contains(&digits) && !bytes.get(end).is_some_and(|&b| is_word_byte(b)) {
            ids.push(&text[at..end]);
        }
    }
    ids
}

/// The files under `dir` whose extension is one of [`SCANNED_EXTENSIONS`],
/// skipping installed packages, build output and hidden directories (a
/// bundle's minified names would read as rule IDs).
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            let skipped = ["node_modules", "target", "dist", "build"].contains(&&*name);
            if !skipped && !name.starts_with('.') {
                source_files(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|ext| SCANNED_EXTENSIONS.iter().any(|e| ext == *e))
        {
            out.push(path);
        }
    }
}

#[test]
fn every_test_the_doc_names_exists() {
    let doc = read(&root().join(DOC));
    let rows = rows(&doc);
    assert!(
        rows.len() >= 28,
        "{DOC}: only {} table rows found",
        rows.len()
    );
    let mut problems = Vec::new();
    for row in &rows {
        if row.kept_by.is_empty() {
            problems.push(format!(
                "{DOC}:{} {}: no test keeps it",
                row.line, row.first
            ));
        }
        for span in &row.kept_by {
            let problem = match parse_ref(span) {
                None => Some("is not `path::test_name` nor `path: \"title\"`"),
                Some(TestRef::Rust { path, name }) => match fs::read_to_string(root().join(path)) {
                    Err(_) => Some("names a file that does not exist"),
                    Ok(source) if !defines_fn(&source, name) => Some("no such fn in that file"),
                    Ok(_) => None,
                },
                Some(TestRef::Js { path, title }) => match fs::read_to_string(root().join(path)) {
                    Err(_) => Some("names a file that does not exist"),
                    Ok(source) if !source.contains(&format!("\"{title}\"")) => {
                        Some("no test with that title in that file")
                    }
                    Ok(_) => None,
                },
            };
            if let Some(problem) = problem {
                problems.push(format!(
                    "{DOC}:{} {}: `{span}` {problem}",
                    row.line, row.first
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn every_rule_id_in_the_code_and_tests_has_an_entry() {
    let doc = read(&root().join(DOC));
    let mut defined = BTreeMap::new();
    let mut problems = Vec::new();
    for row in rows(&doc) {
        if rule_ids(&row.first) == [row.first.as_str()] {
            if let Some(line) = defined.insert(row.first.clone(), row.line) {
                problems.push(format!(
                    "{DOC}:{} {}: defined again (first on line {line})",
                    row.line, row.first
                ));
            }
        }
    }
    let mut files = Vec::new();
    for dir in SCANNED_DIRS {
        source_files(&root().join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 20, "only {} files to scan", files.len());
    for file in &files {
        let text = read(file);
        for (index, line) in text.lines().enumerate() {
            for id in rule_ids(line) {
                if !defined.contains_key(id) {
                    let path = file.strip_prefix(root()).unwrap().display();
                    problems.push(format!("{path}:{}: {id} has no entry in {DOC}", index + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_id_scan_finds_ids_and_nothing_else() {
    assert_eq!(
        rule_ids("P1–P12 and D1/D4, (C10); // C2: x"),
        ["P1", "P12", "D1", "D4", "C10", "C2"]
    );
    assert_eq!(
        rule_ids("p5_field_name_and_value fn c4_x"),
        Vec::<&str>::new()
    );
    for not_an_id in [
        "C3PO",
        "P2P",
        "0xD1",
        "\\xC3",
        "caf%C3%A9",
        "P123",
        "ABC12",
        "D",
        "C_1",
        "P1x",
    ] {
        assert_eq!(rule_ids(not_an_id), Vec::<&str>::new(), "{not_an_id}");
    }
}

#[test]
fn test_references_parse_exactly() {
    assert_eq!(
        parse_ref("tests/spec.rs::p3_blank_line_dispatches"),
        Some(TestRef::Rust {
            path: "tests/spec.rs",
            name: "p3_blank_line_dispatches"
        })
    );
    assert_eq!(
        parse_ref(r#"tests/node/a.test.mjs: "EventSource: C4, once""#),
        Some(TestRef::Js {
            path: "tests/node/a.test.mjs",
            title: "EventSource: C4, once"
        })
    );
    for bad in [
        "retry",
        "tests/spec.rs:p3",
        "tests/spec.rs::",
        "tests/spec.rs::a b",
        "a.mjs: title",
        "a.rs: \"t\"",
    ] {
        assert_eq!(parse_ref(bad), None, "{bad}");
    }
    assert!(defines_fn(
        "#[test]\nfn p1_always_utf8() {}",
        "p1_always_utf8"
    ));
    assert!(!defines_fn("fn p1_always_utf8_too() {}", "p1_always_utf8"));
    assert!(!defines_fn("fn xp1_always_utf8() {}", "p1_always_utf8"));
}
