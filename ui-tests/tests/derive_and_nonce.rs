//! Every misuse of `#[derive(Bytes)]`, `#[derive(Secret)]` and the typestate nonces of
//! `secrets-nonce` that must not compile, one rule per file, each with the message a user sees
//! checked in beside it; and the supported shapes and flows, which must compile.

#[test]
fn derive_and_nonce() {
    let t = trybuild::TestCases::new();
    t.pass("tests/derive-pass/*.rs");
    t.pass("tests/nonce-pass/*.rs");
    t.compile_fail("tests/derive-fail/*.rs");
    t.compile_fail("tests/nonce-fail/*.rs");
}
