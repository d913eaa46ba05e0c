//! Stores records and announces new reports.
