//! Decodes fetched pages and reduces them to documents and links.
