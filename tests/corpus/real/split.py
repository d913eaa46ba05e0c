#!/usr/bin/env python3
"""Files newly labelled pages (incoming/NAME.txt + NAME.json) into the dev or
test split, by site, once.

A page's split follows from its host alone (sha256 of the host name, test when
the first byte is below TEST_SHARE of 256), so every page of a site lands in
the same split and a page added later from a known site joins its siblings.
Pages whose URL or text repeats one already filed are left in incoming/ and
reported. Writes SPLIT/docs/NAME.txt, SPLIT/gold/NAME.json and appends
NAME<TAB>URL to SPLIT/urls.tsv.

usage: split.py [--dry-run]
"""
import hashlib, json, os, re, shutil, sys
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_SHARE = 0.5


def split_of(url):
    host = (urlsplit(url).hostname or "").lower()
    host = re.sub(r"^(www|m|wap)\.", "", host)
    return "test" if hashlib.sha256(host.encode()).digest()[0] < TEST_SHARE * 256 else "dev"


def fingerprint(text):
    return hashlib.sha256(re.sub(r"\s+", "", text).encode()).hexdigest()


def main():
    dry = "--dry-run" in sys.argv
    seen_urls, seen_texts = set(), set()
    for split in ("dev", "test"):
        for name in sorted(os.listdir(os.path.join(HERE, split, "gold")) if os.path.isdir(os.path.join(HERE, split, "gold")) else []):
            g = json.load(open(os.path.join(HERE, split, "gold", name), encoding="utf-8"))
            seen_urls.add(g["url"])
            seen_texts.add(fingerprint(open(os.path.join(HERE, split, "docs", name[:-5] + ".txt"), encoding="utf-8").read()))
    incoming = os.path.join(HERE, "incoming")
    counts = {"dev": [0, 0], "test": [0, 0]}
    for name in sorted(n for n in os.listdir(incoming) if n.endswith(".json")):
        stem = name[:-5]
        gold_path, text_path = os.path.join(incoming, name), os.path.join(incoming, stem + ".txt")
        if not os.path.exists(text_path):
            print(f"{stem}: no text beside the label, left in incoming/")
            continue
        g = json.load(open(gold_path, encoding="utf-8"))
        text = open(text_path, encoding="utf-8").read()
        if g["url"] in seen_urls or fingerprint(text) in seen_texts:
            print(f"{stem}: repeats a page already filed ({g['url']}), left in incoming/")
            continue
        seen_urls.add(g["url"]); seen_texts.add(fingerprint(text))
        split = split_of(g["url"])
        counts[split][0 if g.get("is_report") else 1] += 1
        if dry:
            continue
        for sub in ("docs", "gold"):
            os.makedirs(os.path.join(HERE, split, sub), exist_ok=True)
        shutil.move(text_path, os.path.join(HERE, split, "docs", stem + ".txt"))
        shutil.move(gold_path, os.path.join(HERE, split, "gold", name))
        with open(os.path.join(HERE, split, "urls.tsv"), "a", encoding="utf-8") as f:
            f.write(f"{stem}\t{g['url']}\n")
    for split, (reports, negatives) in counts.items():
        print(f"{split}: {reports} reports, {negatives} negatives filed")


if __name__ == "__main__":
    main()
