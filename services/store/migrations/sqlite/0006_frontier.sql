-- The crawl frontier's status index: one row per known URL, so a scheduler
-- reads what is due in its host partitions instead of every URL.
CREATE TABLE frontier (
    url_key TEXT PRIMARY KEY,
    part INTEGER NOT NULL,
    site TEXT NOT NULL,
    status TEXT NOT NULL,
    -- When the URL is next to be considered; NULL while in flight or when
    -- it is not to be fetched again.
    due_ms BIGINT,
    state TEXT NOT NULL
);
CREATE INDEX frontier_due ON frontier (part, due_ms) WHERE due_ms IS NOT NULL;
CREATE INDEX frontier_in_flight ON frontier (part) WHERE status = 'in_flight';
CREATE INDEX frontier_site ON frontier (site);
