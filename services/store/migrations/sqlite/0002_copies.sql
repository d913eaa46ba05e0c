-- Copies of one report: its fingerprint for near-duplicate lookup, and
-- which copy supplied the record (its URL and how trusted its source is).
ALTER TABLE reports ADD COLUMN simhash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN source_rank INTEGER NOT NULL DEFAULT 0;
-- '' for reports stored before copies were told apart.
ALTER TABLE reports ADD COLUMN primary_url TEXT NOT NULL DEFAULT '';

-- The fingerprint's four 16-bit bands: a near copy shares at least one.
CREATE TABLE report_simhash_bands (
    band      INTEGER NOT NULL,
    value     INTEGER NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    PRIMARY KEY (band, value, report_id)
);
