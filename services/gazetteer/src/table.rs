//! The division table itself: every unit's code and official name, sorted
//! by code so that a unit's descendants follow it in one contiguous run
//! ("51" < "5103" < "510321" < "510321107").

use crate::DataError;

/// The four levels of the table, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Province,
    City,
    County,
    Township,
}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 4] = [Level::Province, Level::City, Level::County, Level::Township];

    /// The level of a statistical code by its length (2/4/6/9 digits).
    pub fn of_code(code: &str) -> Option<Level> {
        match code.len() {
            2 => Some(Level::Province),
            4 => Some(Level::City),
            6 => Some(Level::County),
            9 => Some(Level::Township),
            _ => None,
        }
    }

    /// How many leading digits of a code name a unit of this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
        }
    }
}

/// A unit with its chain of official names (with suffixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// 9 digits for a township, 6 for a county, 4 for a city, 2 for a province.
    pub code: String,
    pub township: Option<String>,
    /// `None` only above county level.
    pub county: Option<String>,
    /// The municipality for Beijing, Tianjin, Shanghai and Chongqing; `None`
    /// for counties governed directly by a province (仙桃市 in 湖北省).
    pub city: Option<String>,
    pub province: Option<String>,
}

impl Place {
    /// The level its code names; `None` only for a `Place` built by hand
    /// with a malformed code.
    pub fn level(&self) -> Option<Level> {
        Level::of_code(&self.code)
    }

    /// The code padded to 9 digits, as statistical codes are written.
    pub fn code9(&self) -> String {
        format!("{:0<9}", self.code)
    }
}

/// City rows that hold counties but are no city: 市辖区 and 县 in the four
/// municipalities, and the rows for counties governed by their province.
const PLACEHOLDER_CITIES: &[&str] = &["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"];

/// A municipality's city row: its presence marks the province as a
/// municipality, which is then its own city.
const MUNICIPAL_DISTRICTS: &str = "市辖区";

/// One row of the table; its position in [`Table::units`] is its id.
#[derive(Debug)]
pub(crate) struct Unit {
    pub code: Box<str>,
    pub name: Box<str>,
}

/// Ids are positions in `units`; `u32` keeps the name indexes small.
pub(crate) type UnitId = u32;

#[derive(Debug)]
pub(crate) struct Table {
    units: Vec<Unit>,
    /// Ids of the 9-digit units in code order; the village data refers to
    /// townships by position in this list.
    townships: Vec<UnitId>,
    municipalities: Vec<UnitId>,
}

impl Table {
    /// Parses `code<TAB>name` lines sorted by code.
    pub fn parse(text: &str) -> Result<Table, DataError> {
        let mut units: Vec<Unit> = Vec::with_capacity(45_000);
        for (number, line) in text.lines().enumerate() {
            let malformed = |problem: &str| DataError::Malformed {
                file: "divisions.tsv.gz",
                line: number + 1,
                problem: problem.to_string(),
            };
            let (code, name) = line.split_once('\t').ok_or_else(|| malformed("no tab"))?;
            if Level::of_code(code).is_none() || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed("the code is not 2/4/6/9 digits"));
            }
            if name.is_empty() {
                return Err(malformed("empty name"));
            }
            if units.last().is_some_and(|last| *last.code >= *code) {
                return Err(malformed("codes are not strictly ascending"));
            }
            units.push(Unit {
                code: code.into(),
                name: name.into(),
            });
        }
        let ids_where = |keep: &dyn Fn(&Unit) -> bool| -> Vec<UnitId> {
            (0..units.len())
                .filter(|&i| keep(&units[i]))
                .map(|i| i as UnitId)
                .collect()
        };
        let townships = ids_where(&|u| u.code.len() == 9);
        let municipal_codes: Vec<&str> = units
            .iter()
            .filter(|u| u.code.len() == 4 && *u.name == *MUNICIPAL_DISTRICTS)
            .map(|u| &u.code[..2])
            .collect();
        let municipalities = ids_where(&|u| u.code.len() == 2 && municipal_codes.contains(&&*u.code));
        Ok(Table {
            units,
            townships,
            municipalities,
        })
    }

    pub fn unit(&self, id: UnitId) -> &Unit {
        &self.units[id as usize]
    }

    pub fn level(&self, id: UnitId) -> Level {
        Level::of_code(&self.unit(id).code).unwrap_or(Level::Township)
    }

    /// All ids with their units, in code order.
    pub fn iter(&self) -> impl Iterator<Item = (UnitId, &Unit)> {
        self.units.iter().enumerate().map(|(i, u)| (i as UnitId, u))
    }

    pub fn find(&self, code: &str) -> Option<UnitId> {
        self.units
            .binary_search_by(|u| (*u.code).cmp(code))
            .ok()
            .map(|i| i as UnitId)
    }

    /// The unit whose code is the first `level.code_len()` digits of `id`'s.
    pub fn ancestor(&self, id: UnitId, level: Level) -> Option<UnitId> {
        self.unit(id)
            .code
            .get(..level.code_len())
            .and_then(|prefix| self.find(prefix))
    }

    /// Whether `id` is `ancestor` or lies under it.
    pub fn is_within(&self, id: UnitId, ancestor: UnitId) -> bool {
        self.unit(id).code.starts_with(&*self.unit(ancestor).code)
    }

    pub fn townships(&self) -> &[UnitId] {
        &self.townships
    }

    pub fn municipalities(&self) -> &[UnitId] {
        &self.municipalities
    }

    pub fn is_placeholder_city(&self, id: UnitId) -> bool {
        self.level(id) == Level::City && PLACEHOLDER_CITIES.contains(&&*self.unit(id).name)
    }

    /// The unit a county hangs under when it is named together with its
    /// parent: its city, or its province when the city row is a placeholder.
    pub fn named_parent(&self, id: UnitId) -> Option<UnitId> {
        let parent_level = match self.level(id) {
            Level::Township => Level::County,
            Level::County => Level::City,
            Level::City => Level::Province,
            Level::Province => return None,
        };
        let parent = self.ancestor(id, parent_level)?;
        if self.is_placeholder_city(parent) {
            self.ancestor(id, Level::Province)
        } else {
            Some(parent)
        }
    }

    pub fn place(&self, id: UnitId) -> Place {
        let name_at = |level: Level| self.ancestor(id, level).map(|a| self.unit(a).name.to_string());
        let province = name_at(Level::Province);
        let municipality = self
            .ancestor(id, Level::Province)
            .is_some_and(|p| self.municipalities.contains(&p));
        let city = match self.ancestor(id, Level::City) {
            _ if municipality => province.clone(),
            Some(city) if self.is_placeholder_city(city) => None,
            Some(city) => Some(self.unit(city).name.to_string()),
            None => None,
        };
        Place {
            code: self.unit(id).code.to_string(),
            township: name_at(Level::Township),
            county: name_at(Level::County),
            city,
            province,
        }
    }
}
