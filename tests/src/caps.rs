//! Process capabilities and resource limits for the limit tests (being written).
