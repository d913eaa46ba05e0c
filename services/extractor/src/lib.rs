//! Turns a township report document into a structured, evidence-backed record.
