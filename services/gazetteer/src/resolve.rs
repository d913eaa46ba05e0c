//! From what a text states (a township, county, city, province name, in
//! any mix of full and short forms) to the one unit that fits, or to the
//! honest answer that several or none do.

use crate::forms::{self, township_core};
use crate::names::{Names, Tier};
use crate::table::{Level, Place, Table, UnitId};

/// What a text states about where it is from; any part may be missing, and
/// names may be short forms (乐山 for 乐山市, 四川 for 四川省, 长阳县 for
/// 长阳土家族自治县; 北京 names both the city and the province).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub township: Option<String>,
    pub county: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
}

impl Query {
    pub fn township(mut self, name: impl Into<String>) -> Query {
        self.township = Some(name.into());
        self
    }

    pub fn county(mut self, name: impl Into<String>) -> Query {
        self.county = Some(name.into());
        self
    }

    pub fn city(mut self, name: impl Into<String>) -> Query {
        self.city = Some(name.into());
        self
    }

    pub fn province(mut self, name: impl Into<String>) -> Query {
        self.province = Some(name.into());
        self
    }

    fn name(&self, level: Level) -> Option<&str> {
        match level {
            Level::Province => self.province.as_deref(),
            Level::City => self.city.as_deref(),
            Level::County => self.county.as_deref(),
            Level::Township => self.township.as_deref(),
        }
    }
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one unit fits everything the query states.
    Unique(Place),
    /// Several fit (their codes): the evidence does not decide, and no
    /// candidate is preferred over another.
    Ambiguous(Vec<String>),
    /// None fits: a name is unknown, or the stated names contradict each
    /// other.
    NotFound,
}

/// The higher-level units a query confines its answer to: one set per
/// stated level, every set must hold an ancestor of the answer.
pub(crate) struct Scope {
    within: Vec<Vec<UnitId>>,
}

impl Scope {
    /// The scope stated by `query` at `levels`; `None` when a stated name
    /// matches no unit (which leaves no answer rather than a wider one).
    ///
    /// A county-level city stated as the city (汨罗市 in 岳阳市) narrows as
    /// the county it is: in common speech both are 市.
    pub fn of(names: &Names, query: &Query, levels: &[Level]) -> Option<Scope> {
        let mut within = Vec::new();
        for &level in levels {
            let Some(written) = query.name(level) else { continue };
            let name = forms::clean(written)?;
            let mut ids = names.lookup(level, &name);
            if ids.is_empty() && level == Level::City && name.ends_with('市') {
                ids = names.get(Level::County, Tier::Full, &name);
            }
            if ids.is_empty() {
                return None;
            }
            within.push(ids.to_vec());
        }
        Some(Scope { within })
    }

    pub fn admits(&self, table: &Table, id: UnitId) -> bool {
        self.within
            .iter()
            .all(|ancestors| ancestors.iter().any(|&a| table.is_within(id, a)))
    }
}

fn decide(table: &Table, mut ids: Vec<UnitId>) -> Resolution {
    ids.sort_unstable();
    ids.dedup();
    match ids.as_slice() {
        [] => Resolution::NotFound,
        [one] => Resolution::Unique(table.place(*one)),
        many => Resolution::Ambiguous(many.iter().map(|&id| table.unit(id).code.to_string()).collect()),
    }
}

/// Resolves the lowest level the query states, within the levels above it
/// that it also states.
pub(crate) fn resolve(table: &Table, names: &Names, query: &Query) -> Resolution {
    let Some(target) = Level::ALL.into_iter().rev().find(|&l| query.name(l).is_some()) else {
        return Resolution::NotFound;
    };
    let above: Vec<Level> = Level::ALL.into_iter().filter(|&l| l < target).collect();
    let (Some(scope), Some(written)) = (
        Scope::of(names, query, &above),
        query.name(target).and_then(forms::clean),
    ) else {
        return Resolution::NotFound;
    };
    let in_scope =
        |ids: &[UnitId]| -> Vec<UnitId> { ids.iter().copied().filter(|&id| scope.admits(table, id)).collect() };
    let stated = in_scope(names.lookup(target, &written));
    if !stated.is_empty() || target != Level::Township {
        return decide(table, stated);
    }
    // No township of that exact name here: the table may list it under
    // another level word (南磨房乡 as 南磨房地区, or a 乡 that has become a
    // 镇 since the document's year). Within a stated county the core nearly
    // always settles it (47 counties hold a 镇 and a 街道 of one core; those
    // stay ambiguous); without one, only the naming conventions that make
    // two names the same unit count.
    let county_stated = query.county.is_some();
    let by_core = names.get(Level::Township, Tier::Core, township_core(&written));
    let by_core: Vec<UnitId> = in_scope(by_core)
        .into_iter()
        .filter(|&id| county_stated || forms::same_unit_by_convention(&written, &table.unit(id).name))
        .collect();
    decide(table, by_core)
}
