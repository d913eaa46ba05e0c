-- Reports: one row per report, the latest version's record as JSON plus the
-- columns searched and filtered on.
CREATE TABLE reports (
    id               TEXT PRIMARY KEY,
    version          INTEGER NOT NULL,
    content_sha256   TEXT NOT NULL,
    is_report        INTEGER NOT NULL,
    doc_type         TEXT,
    title            TEXT,
    township         TEXT,
    county           TEXT,
    city             TEXT,
    province         TEXT,
    division_code    TEXT,
    review_year      INTEGER,
    plan_year        INTEGER,
    record_json      TEXT NOT NULL,
    first_seen_ms    INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    -- The version whose event JetStream acknowledged (0: none yet). An event
    -- is owed while announced_version < version.
    announced_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reports_division ON reports (division_code);
CREATE INDEX reports_years ON reports (review_year, plan_year);

-- Every place a report was seen.
CREATE TABLE report_sources (
    report_id  TEXT NOT NULL REFERENCES reports (id),
    url        TEXT NOT NULL,
    site_id    TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (report_id, url)
);

-- Every version's record, so an edited report keeps its earlier text.
CREATE TABLE report_versions (
    report_id      TEXT NOT NULL REFERENCES reports (id),
    version        INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    record_json    TEXT NOT NULL,
    stored_ms      INTEGER NOT NULL,
    PRIMARY KEY (report_id, version)
);
