#!/usr/bin/env bash
# Extraction speed as a user meets it, against trafilatura in the same run
# (BENCHMARKS.md, "Extraction speed on full-size pages"):
#   taskset -c 0 townreports extract FILE…   (COPIES files, process start included)
#   taskset -c 0 python3 trafilatura bare_extraction(html, with_metadata=True) on the same bytes
# The pages: tests/corpus/bench-pages (the seed reports rendered as real
# disclosure pages, UTF-8 and GBK) and tests/corpus/html-samples, copied
# round-robin into a scratch directory. Needs `pip install trafilatura`.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${COPIES:-2000}
BIN=${BIN:-target/release/townreports}
[ -x "$BIN" ] || cargo build --release -p townreports
python3 -c "import trafilatura" 2>/dev/null || pip install -q trafilatura lxml_html_clean
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t pages < <(ls tests/corpus/bench-pages/*.html tests/corpus/html-samples/*.html)
for ((i = 0; i < COPIES; i++)); do
    page=${pages[i % ${#pages[@]}]}
    cp "$page" "$work/$(printf %05d "$i")_$(basename "$page")"
done
cat > "$work/trafilatura_bench.py" <<'PY'
import sys, glob, time
import trafilatura
files = sorted(glob.glob(sys.argv[1] + "/*.html"))
start = time.perf_counter()
for f in files:
    with open(f, "rb") as h:
        trafilatura.bare_extraction(h.read(), with_metadata=True)
print(len(files) / (time.perf_counter() - start))
PY
ours_start=$(date +%s.%N)
taskset -c 0 "$BIN" extract "$work"/*.html > "$work/records.jsonl"
ours_end=$(date +%s.%N)
ours=$(python3 -c "print($COPIES / ($ours_end - $ours_start))")
# trafilatura's own import and start are not counted: the fairer side for it.
theirs=$(taskset -c 0 python3 "$work/trafilatura_bench.py" "$work")
records=$(wc -l < "$work/records.jsonl")
python3 - "$ours" "$theirs" "$records" "$COPIES" <<'PY'
import sys
ours, theirs, records, copies = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"townreports extract: {ours:,.0f} pages/s ({records} records from {copies} files, process start included)")
print(f"trafilatura bare_extraction: {theirs:,.0f} pages/s")
print(f"ratio: {ours / theirs:.1f}x")
PY
