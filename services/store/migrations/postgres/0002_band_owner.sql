-- Rewriting a report's fingerprint bands deletes them by report: without
-- this index that delete scans every band of the store.
CREATE INDEX report_simhash_bands_report ON report_simhash_bands (report_id);
