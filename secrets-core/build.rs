//! Tells the code whether this build is unoptimised (`opt-level = 0`): libsodium, which
//! `libsodium-sys-stable` compiles with the same profile's level, then uses far more stack,
//! and the stack scrubbed after its calls must be larger (see `sys/sodium.rs`, `scrub`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(secrets_opt_level_0)");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("OPT_LEVEL").is_ok_and(|level| level == "0") {
        println!("cargo::rustc-cfg=secrets_opt_level_0");
    }
}
