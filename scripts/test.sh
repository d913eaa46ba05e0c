#!/usr/bin/env bash
# Every test of the workspace: unit, integration and end-to-end (each starts
# its own nats-server on a random loopback port). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-targets "$@"
