-- The PostgreSQL schema: the same tables as SQLite's migrations 0001-0003
-- (see migrations/sqlite), with a tsvector column for full-text search.
CREATE TABLE reports (
    id                TEXT PRIMARY KEY,
    version           BIGINT NOT NULL,
    content_sha256    TEXT NOT NULL,
    is_report         BOOLEAN NOT NULL,
    doc_type          TEXT,
    title             TEXT,
    township          TEXT,
    county            TEXT,
    city              TEXT,
    province          TEXT,
    division_code     TEXT,
    review_year       BIGINT,
    plan_year         BIGINT,
    record_json       TEXT NOT NULL,
    first_seen_ms     BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL,
    -- The version whose event JetStream acknowledged (0: none yet).
    announced_version BIGINT NOT NULL DEFAULT 0,
    simhash           BIGINT NOT NULL DEFAULT 0,
    source_rank       BIGINT NOT NULL DEFAULT 0,
    primary_url       TEXT NOT NULL DEFAULT '',
    -- jieba-segmented title (weight A) and text, 'simple' configuration.
    search            TSVECTOR
);
CREATE INDEX reports_division ON reports (division_code text_pattern_ops);
CREATE INDEX reports_years ON reports (review_year, plan_year);
CREATE INDEX reports_search ON reports USING GIN (search);

CREATE TABLE report_sources (
    report_id     TEXT NOT NULL REFERENCES reports (id),
    url           TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    PRIMARY KEY (report_id, url)
);

CREATE TABLE report_versions (
    report_id      TEXT NOT NULL REFERENCES reports (id),
    version        BIGINT NOT NULL,
    content_sha256 TEXT NOT NULL,
    record_json    TEXT NOT NULL,
    stored_ms      BIGINT NOT NULL,
    PRIMARY KEY (report_id, version)
);

-- Each band row carries what the near-copy lookup filters on.
CREATE TABLE report_simhash_bands (
    band          BIGINT NOT NULL,
    value         BIGINT NOT NULL,
    report_id     TEXT NOT NULL REFERENCES reports (id),
    simhash       BIGINT NOT NULL,
    division_code TEXT,
    doc_type      TEXT NOT NULL,
    PRIMARY KEY (band, value, report_id)
);

CREATE TABLE report_sections (
    report_id  TEXT NOT NULL REFERENCES reports (id),
    position   BIGINT NOT NULL,
    level      BIGINT NOT NULL,
    number     TEXT NOT NULL,
    heading    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    span_start BIGINT,
    span_end   BIGINT,
    PRIMARY KEY (report_id, position)
);

CREATE TABLE report_metrics (
    report_id        TEXT NOT NULL REFERENCES reports (id),
    -- The report's, copied: targets meet their outcomes by place and name.
    division_code    TEXT,
    position         BIGINT NOT NULL,
    name             TEXT NOT NULL,
    value            DOUBLE PRECISION,
    unit             TEXT,
    value_normalized DOUBLE PRECISION,
    unit_normalized  TEXT,
    qualifier        TEXT,
    growth_pct       DOUBLE PRECISION,
    kind             TEXT NOT NULL,
    year             BIGINT,
    span_start       BIGINT,
    span_end         BIGINT,
    sentence         TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);
CREATE INDEX report_metrics_place ON report_metrics (division_code, name, kind);

CREATE TABLE target_outcomes (
    target_report_id TEXT NOT NULL,
    target_position  BIGINT NOT NULL,
    actual_report_id TEXT NOT NULL,
    actual_position  BIGINT NOT NULL,
    PRIMARY KEY (target_report_id, target_position)
);
CREATE INDEX target_outcomes_actual ON target_outcomes (actual_report_id);
