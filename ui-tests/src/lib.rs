//! The trybuild cases live in `tests/`.
