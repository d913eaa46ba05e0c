-- The near-copy lookup reads every band row that shares one of a
-- report's bands, and reports filled in from one template share bands by
-- the thousand. In a rowid table each such row was an index entry and
-- then a table row elsewhere in the file, so writes slowed as the store
-- grew (the lookup's row reads led the profile at 50,000 reports). Kept
-- WITHOUT ROWID, the rows sit in the key's order: a band's rows are
-- read together, from one B-tree.
CREATE TABLE report_simhash_bands_clustered (
    band          INTEGER NOT NULL,
    value         INTEGER NOT NULL,
    report_id     TEXT NOT NULL REFERENCES reports (id),
    simhash       INTEGER NOT NULL DEFAULT 0,
    division_code TEXT,
    doc_type      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (band, value, report_id)
) WITHOUT ROWID;
INSERT INTO report_simhash_bands_clustered (band, value, report_id, simhash, division_code, doc_type)
    SELECT band, value, report_id, simhash, division_code, doc_type FROM report_simhash_bands;
DROP TABLE report_simhash_bands;
ALTER TABLE report_simhash_bands_clustered RENAME TO report_simhash_bands;
CREATE INDEX report_simhash_bands_report ON report_simhash_bands (report_id);
