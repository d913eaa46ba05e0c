//! The crawl frontier: which URL to fetch next, politely.
