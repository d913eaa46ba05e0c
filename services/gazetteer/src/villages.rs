//! Village-level names and the townships that hold them, for identifying a
//! township whose name a document blanked from the villages it names.
//!
//! The data file is inverted and sorted at build time (see
//! `tools/build_data.py`), so loading is one linear pass: no hashing and no
//! allocation per name, which keeps 620,573 villages cheap to load.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::DataError;
use crate::forms;

/// A name held by more townships than this (和平村 542, 李家村 170) says
/// nothing about which one a document is from; letting it vote would only
/// give chance winners to townships that hold several such common names.
pub const MAX_HOLDERS: usize = 40;

/// Fewer agreeing names are never enough: one name identifies its township
/// only 41% of the time, two agreeing names 96% (notes/gazetteer.md).
pub const MIN_AGREEING: usize = 2;

#[derive(Debug)]
struct Entry {
    /// Byte range of the name in `VillageIndex::text`.
    name: (u32, u32),
    /// End of this name's range in `VillageIndex::holders`; it starts where
    /// the previous entry's ends.
    holders_end: u32,
}

/// Normalised village-level names → townships, by position in the table's
/// township list.
#[derive(Debug)]
pub(crate) struct VillageIndex {
    text: String,
    entries: Vec<Entry>,
    holders: Vec<u32>,
    /// Entry by the hash of its name: a report asks about every word that
    /// ends in 村 (农村, 村级, 乡村 …), thousands per document, nearly all
    /// no village, and a hash answers those faster than a binary search.
    by_hash: FxHashMap<u64, u32>,
}

fn name_hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// Conversions from the data file's sizes; a file that does not fit `u32`
/// offsets is malformed (the real one is under 8 MB).
fn offset(value: usize, line: usize) -> Result<u32, DataError> {
    u32::try_from(value).map_err(|_| DataError::Malformed {
        file: "villages.tsv.gz",
        line,
        problem: "the file is too large for 32-bit offsets".into(),
    })
}

impl VillageIndex {
    /// Parses `name<TAB>i j k` lines sorted by name, where i, j, k are
    /// positions in a township list of length `townships`.
    pub fn parse(text: String, townships: usize) -> Result<VillageIndex, DataError> {
        let mut entries: Vec<Entry> = Vec::with_capacity(300_000);
        let mut holders: Vec<u32> = Vec::with_capacity(640_000);
        let mut previous: Option<&str> = None;
        let mut line_start = 0usize;
        for (number, line) in text.split_inclusive('\n').enumerate() {
            let number = number + 1;
            let malformed = |problem: &str| DataError::Malformed {
                file: "villages.tsv.gz",
                line: number,
                problem: problem.to_string(),
            };
            let start = line_start;
            line_start += line.len();
            let (name, list) = line
                .trim_end_matches('\n')
                .split_once('\t')
                .ok_or_else(|| malformed("no tab"))?;
            if name.is_empty() || previous.is_some_and(|p| p >= name) {
                return Err(malformed("names are empty or not strictly ascending"));
            }
            previous = Some(name);
            let before = holders.len();
            for position in list.split(' ') {
                let position: u32 = position
                    .parse()
                    .map_err(|_| malformed("a township position is not a number"))?;
                if position as usize >= townships {
                    return Err(malformed("a township position is past the township list"));
                }
                holders.push(position);
            }
            if holders.len() == before {
                return Err(malformed("a name without townships"));
            }
            entries.push(Entry {
                name: (offset(start, number)?, offset(start + name.len(), number)?),
                holders_end: offset(holders.len(), number)?,
            });
        }
        let mut by_hash = FxHashMap::with_capacity_and_hasher(entries.len(), FxBuildHasher);
        for (i, entry) in entries.iter().enumerate().rev() {
            // On a collision the first entry keeps the slot; `holders`
            // checks the name and searches for the other.
            by_hash.insert(name_hash(&text[entry.name.0 as usize..entry.name.1 as usize]), i as u32);
        }
        Ok(VillageIndex {
            text,
            entries,
            holders,
            by_hash,
        })
    }

    fn name(&self, entry: &Entry) -> &str {
        &self.text[entry.name.0 as usize..entry.name.1 as usize]
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The townships holding a village with this (normalised) name.
    pub fn holders(&self, name: &str) -> &[u32] {
        let Some(&hit) = self.by_hash.get(&name_hash(name)) else {
            return &[];
        };
        let i = if self.name(&self.entries[hit as usize]) == name {
            hit as usize
        } else {
            match self.entries.binary_search_by(|e| self.name(e).cmp(name)) {
                Ok(i) => i,
                Err(_) => return &[],
            }
        };
        let start = i.checked_sub(1).map_or(0, |p| self.entries[p].holders_end as usize);
        &self.holders[start..self.entries[i].holders_end as usize]
    }

    /// Every name, in order; for tests that compare the data with the
    /// normalisation rule.
    #[cfg(test)]
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| self.name(e))
    }
}

/// The outcome of a vote: a township position and the names that voted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Vote {
    pub township: u32,
    pub villages: Vec<String>,
    pub runner_up: usize,
}

/// Every township holding a named village gets one vote per distinct name,
/// counting only townships `admitted` and names held by at most
/// [`MAX_HOLDERS`] of them. The winner needs [`MIN_AGREEING`] votes and at
/// least twice the runner-up's: a narrow lead is a coincidence, not an
/// identification.
pub(crate) fn vote(index: &VillageIndex, villages: &[&str], admitted: impl Fn(u32) -> bool) -> Option<Vote> {
    let names: BTreeSet<String> = villages
        .iter()
        .filter_map(|v| forms::clean(v))
        .map(|v| forms::normalise_village(&v).into_owned())
        .collect();
    let mut votes: HashMap<u32, Vec<&str>> = HashMap::new();
    for name in &names {
        let holders: Vec<u32> = index.holders(name).iter().copied().filter(|&t| admitted(t)).collect();
        if holders.len() > MAX_HOLDERS {
            continue;
        }
        for township in holders {
            votes.entry(township).or_default().push(name);
        }
    }
    let mut ranked: Vec<(u32, Vec<&str>)> = votes.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut ranked = ranked.into_iter();
    let (township, names) = ranked.next()?;
    let runner_up = ranked.next().map_or(0, |(_, names)| names.len());
    (names.len() >= MIN_AGREEING && names.len() >= 2 * runner_up).then(|| Vote {
        township,
        villages: names.into_iter().map(str::to_string).collect(),
        runner_up,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Townships 0..=3; 0 holds 甲村 乙村 丙村, 1 holds 甲村 丁村, 2 and 3
    /// hold 戊村 and 己村.
    fn index() -> VillageIndex {
        let mut lines = [
            ("丁村", "1"),
            ("丙村", "0"),
            ("乙村", "0"),
            ("己村", "2 3"),
            ("戊村", "2 3"),
            ("甲村", "0 1"),
        ];
        lines.sort();
        let text: String = lines.iter().map(|(n, h)| format!("{n}\t{h}\n")).collect();
        VillageIndex::parse(text, 4).unwrap()
    }

    #[test]
    fn agreeing_names_elect_a_clear_winner() {
        let index = index();
        assert_eq!(index.holders("甲村"), [0, 1]);
        assert_eq!(index.holders("无村"), [] as [u32; 0]);
        let vote = super::vote(&index, &["甲村", "乙村村委会", "丙村", "乙村"], |_| true).unwrap();
        assert_eq!((vote.township, vote.runner_up), (0, 1));
        assert_eq!(vote.villages, ["丙村", "乙村", "甲村"]);
        assert_eq!(
            super::vote(&index, &["甲村", "乙村"], |_| true).map(|v| v.township),
            Some(0)
        );
    }

    #[test]
    fn one_name_a_tie_or_a_narrow_lead_decides_nothing() {
        let index = index();
        assert_eq!(
            super::vote(&index, &["乙村", "乙村"], |_| true),
            None,
            "one distinct name"
        );
        assert_eq!(super::vote(&index, &["戊村", "己村"], |_| true), None, "a tie");
        assert_eq!(
            super::vote(&index, &["甲村", "乙村", "丁村", "戊村"], |_| true),
            None,
            "2 against 2"
        );
        assert_eq!(
            super::vote(&index, &["戊村", "己村"], |t| t != 3).map(|v| v.township),
            Some(2),
            "a scope can break a tie"
        );
    }

    #[test]
    fn malformed_data_is_refused_with_its_line() {
        for (text, line) in [
            ("乙村\t0\n甲村\t1\n", 0),
            ("甲村\t0\n乙村\t1\n", 2),
            ("甲村\t9\n", 1),
            ("甲村\t\n", 1),
            ("甲村 0\n", 1),
        ] {
            match VillageIndex::parse(text.to_string(), 4) {
                Ok(_) => assert_eq!(line, 0, "{text:?} should fail"),
                Err(DataError::Malformed { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
                Err(other) => panic!("{other}"),
            }
        }
    }
}
