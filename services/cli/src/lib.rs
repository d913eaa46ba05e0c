//! The townreports command-line tool.
