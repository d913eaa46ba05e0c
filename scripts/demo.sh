#!/usr/bin/env bash
# The main job on the embedded default: simulated township portals, a private
# nats-server, all five workers and SQLite, one crawl; prints the events a
# subscriber receives and a summary, and writes the records to
# data/demo/records.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Workers log at warn here so the events and the summary stay readable.
RUST_LOG="${RUST_LOG:-warn}" cargo run --release --quiet -p townreports -- demo --data-dir data/demo "$@"
