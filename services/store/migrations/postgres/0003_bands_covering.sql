-- The near-copy lookup reads every band row that shares one of a
-- report's bands (reports filled in from one template share bands by the
-- thousand): with what it filters on and returns in the index, it need
-- not visit each row's heap page.
CREATE INDEX report_simhash_bands_lookup ON report_simhash_bands (band, value)
    INCLUDE (doc_type, division_code, simhash, report_id);
