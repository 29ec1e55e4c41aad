//! Windows: to be written (issue 15); the same functions as `sys/terminal.rs`.
