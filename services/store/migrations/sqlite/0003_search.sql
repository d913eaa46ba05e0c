-- What users search and export: the current version's sections and metrics
-- as rows, a full-text index over jieba-segmented words, and each target's
-- link to the outcome its township reported for that year. Reports stored
-- before this migration are indexed when the store opens.
CREATE TABLE report_sections (
    report_id  TEXT NOT NULL REFERENCES reports (id),
    position   INTEGER NOT NULL,
    level      INTEGER NOT NULL,
    number     TEXT NOT NULL,
    heading    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    span_start INTEGER,
    span_end   INTEGER,
    PRIMARY KEY (report_id, position)
);

CREATE TABLE report_metrics (
    report_id        TEXT NOT NULL REFERENCES reports (id),
    -- The report's, copied: targets meet their outcomes by place and name.
    division_code    TEXT,
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    value            REAL,
    unit             TEXT,
    value_normalized REAL,
    unit_normalized  TEXT,
    qualifier        TEXT,
    growth_pct       REAL,
    kind             TEXT NOT NULL,
    year             INTEGER,
    span_start       INTEGER,
    span_end         INTEGER,
    sentence         TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);
CREATE INDEX report_metrics_place ON report_metrics (division_code, name, kind);

-- A target (kind 'target', year N) and the actual value for year N that the
-- same township reported in another report.
CREATE TABLE target_outcomes (
    target_report_id TEXT NOT NULL,
    target_position  INTEGER NOT NULL,
    actual_report_id TEXT NOT NULL,
    actual_position  INTEGER NOT NULL,
    PRIMARY KEY (target_report_id, target_position)
);
CREATE INDEX target_outcomes_actual ON target_outcomes (actual_report_id);

-- FTS5 rows are addressed by integer: each report gets a stable one here.
CREATE TABLE report_search_keys (
    doc       INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE REFERENCES reports (id)
);
-- Words are separated by spaces before they get here (see segment.rs), so
-- unicode61 only has to split on them; contentless: the text is in reports.
CREATE VIRTUAL TABLE report_fts USING fts5 (
    title, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The near-copy lookup reads only the bands table: each band row carries
-- what the lookup filters on, so no join per candidate.
ALTER TABLE report_simhash_bands ADD COLUMN simhash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_simhash_bands ADD COLUMN division_code TEXT;
ALTER TABLE report_simhash_bands ADD COLUMN doc_type TEXT NOT NULL DEFAULT '';
-- Bands are now looked up in pairs (see dedup.rs): the old rows go, and
-- every report's are written again when the store opens (index_missing).
DELETE FROM report_simhash_bands;
