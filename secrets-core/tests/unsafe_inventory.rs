//! The crate docs name the files that hold `unsafe` code; this keeps that claim true.

use std::path::{Path, PathBuf};

/// The files the table in `src/lib.rs` marks as holding `unsafe` (`sys/*.rs` stands for the
/// whole folder).
fn declared() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .filter_map(|row| {
            let (file, rest) = row.split_once('`')?;
            let cells: Vec<&str> = rest.split('|').map(str::trim).collect();
            (cells.get(2) == Some(&"yes")).then(|| file.to_owned())
        })
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Whether a line of code (comments and doc text left out) uses the `unsafe` keyword.
fn uses_unsafe(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == "unsafe")
}

#[test]
fn only_the_files_the_crate_docs_name_hold_unsafe() {
    let declared = declared();
    assert!(
        declared.iter().any(|f| f == "bytes.rs") && declared.iter().any(|f| f == "sys/*.rs"),
        "the table in src/lib.rs was not found or changed shape: {declared:?}"
    );
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut undeclared = Vec::new();
    let mut unused = declared.clone();
    for path in &files {
        let rel = path
            .strip_prefix(src())
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).expect("read a source file");
        let holds_unsafe = text.lines().any(uses_unsafe);
        let pattern = match rel.split_once('/') {
            Some((dir, _)) => format!("{dir}/*.rs"),
            None => rel.clone(),
        };
        let is_declared = declared.contains(&rel) || declared.contains(&pattern);
        if holds_unsafe {
            unused.retain(|d| d != &rel && d != &pattern);
            if !is_declared {
                undeclared.push(rel);
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "these files hold `unsafe` but src/lib.rs does not list them: {undeclared:?}"
    );
    assert!(
        unused.is_empty(),
        "src/lib.rs lists these files as holding `unsafe`, but they hold none: {unused:?}"
    );
}

#[test]
fn the_scan_sees_unsafe_code_and_skips_comments() {
    assert!(uses_unsafe("    let x = unsafe { f() };"));
    assert!(uses_unsafe("unsafe impl Send for X {}"));
    assert!(!uses_unsafe("    // SAFETY: unsafe things happen here"));
    assert!(!uses_unsafe("//! `unsafe` lives in the files marked below"));
    assert!(!uses_unsafe("    let unsafe_count = 1;"));
}
