//! Every misuse of the secrets API that must be refused at compile time, and the uses next to
//! them that must keep compiling.
//!
//! Each file in `tests/fail/` shows one rule; the compiler's message for it is checked in as the
//! `.stderr` next to it, so a change in what a user is told shows up in review. After an
//! intended change (or a new Rust release that words things differently), regenerate them with
//! `TRYBUILD=overwrite cargo test -p secrets-ui-tests` and read the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail/*.rs");
    cases.pass("tests/pass/*.rs");
}
