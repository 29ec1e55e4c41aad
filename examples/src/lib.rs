//! Holds the `tour` example; run it with `cargo run --example tour`.
