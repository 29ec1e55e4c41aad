//! Password reading (being written).
