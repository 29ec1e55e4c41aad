//! Key derivation (being written).
