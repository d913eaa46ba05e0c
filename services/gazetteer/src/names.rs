//! Every way a unit is written (official name, short forms, core), and the
//! index from those forms back to units that queries use.

use std::collections::HashMap;

use crate::forms::{self, township_core};
use crate::table::{Level, Table, UnitId};

/// How close a written form is to the official name. Lookups try the tiers
/// in order and stop at the first that knows the name, so an official name
/// is never shadowed by another unit's short form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// The official name: 长阳土家族自治县.
    Full,
    /// What documents print instead: 长阳县, 乐山, 恩施州, 四川, and
    /// 南磨房乡 for Beijing's 南磨房地区.
    Short,
    /// The name without its level word (长阳, 北仑, 南磨房): what survives a
    /// change of level (县 → 市 → 区, 乡 → 镇 → 街道) between a document's year
    /// and the table's.
    Core,
}

/// One written form of a unit and the level it names the unit at (a
/// municipality is named at both province and city level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenForm {
    pub text: String,
    pub tier: Tier,
    pub level: Level,
}

/// Every form of unit `id`; placeholder city rows (市辖区) have none.
pub(crate) fn written_forms(table: &Table, id: UnitId) -> Vec<WrittenForm> {
    let name = &*table.unit(id).name;
    let level = table.level(id);
    let form = |text: &str, tier: Tier, level: Level| WrittenForm {
        text: text.to_string(),
        tier,
        level,
    };
    let mut out = Vec::new();
    match level {
        Level::Province => {
            let short = forms::province_short(name);
            let levels: &[Level] = if table.municipalities().contains(&id) {
                &[Level::Province, Level::City]
            } else {
                &[Level::Province]
            };
            for &at in levels {
                out.push(form(name, Tier::Full, at));
                out.extend(short.map(|s| form(s, Tier::Short, at)));
            }
        }
        Level::City if table.is_placeholder_city(id) => {}
        Level::City => {
            out.push(form(name, Tier::Full, level));
            out.extend(
                forms::city_short_forms(name)
                    .iter()
                    .map(|s| form(s, Tier::Short, level)),
            );
        }
        Level::County => {
            out.push(form(name, Tier::Full, level));
            out.extend(forms::county_short(name).map(|s| form(&s, Tier::Short, level)));
            out.extend(forms::county_core(name).map(|(core, _)| form(core, Tier::Core, level)));
        }
        Level::Township => {
            out.push(form(name, Tier::Full, level));
            out.extend(forms::township_short(name).map(|s| form(&s, Tier::Short, level)));
            let core = township_core(name);
            // Beijing's 乡/镇 that double as 地区办事处 are listed under the
            // 地区 name only; documents print the 乡/镇 name. Other 地区 rows
            // whose core already ends in a level word (兆麟街道地区) are labels.
            if forms::township_suffix(name) == Some("地区") && forms::township_suffix(core).is_none() {
                out.push(form(&format!("{core}乡"), Tier::Short, level));
                out.push(form(&format!("{core}镇"), Tier::Short, level));
            }
            out.push(form(core, Tier::Core, level));
        }
    }
    out
}

type NameMap = HashMap<Box<str>, Vec<UnitId>>;

/// Written forms → units, per level and tier.
#[derive(Debug)]
pub(crate) struct Names {
    /// Indexed by `Level as usize`, then `Tier as usize`.
    maps: [[NameMap; 3]; 4],
}

impl Names {
    pub fn build(table: &Table) -> Names {
        let mut maps: [[NameMap; 3]; 4] = Default::default();
        for (id, _) in table.iter() {
            for f in written_forms(table, id) {
                let ids = maps[f.level as usize][f.tier as usize]
                    .entry(f.text.into())
                    .or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Names { maps }
    }

    pub fn get(&self, level: Level, tier: Tier, text: &str) -> &[UnitId] {
        self.maps[level as usize][tier as usize]
            .get(text)
            .map_or(&[], Vec::as_slice)
    }

    /// The units of `level` that a name written in a document can mean:
    /// official names first, then short forms, then (above township level)
    /// units whose core is the name's core, so that 温江县 still finds
    /// 温江区 after the county became a district.
    ///
    /// A township's core alone is weak evidence (太平 is in fifty 太平镇 and
    /// more 太平乡): the resolver decides when it may be used, so township
    /// lookups stop at short forms.
    pub fn lookup(&self, level: Level, name: &str) -> &[UnitId] {
        let written = [Tier::Full, Tier::Short].map(|tier| self.get(level, tier, name));
        let core = match level {
            Level::Province => forms::province_short(name),
            Level::City => forms::city_core(name).map(|(core, _)| core),
            Level::County => forms::county_core(name).map(|(core, _)| core),
            Level::Township => return written.into_iter().find(|ids| !ids.is_empty()).unwrap_or(&[]),
        };
        let cores = [
            self.get(level, Tier::Core, name),
            core.map_or(&[][..], |core| self.get(level, Tier::Short, core)),
            core.map_or(&[][..], |core| self.get(level, Tier::Core, core)),
        ];
        written
            .into_iter()
            .chain(cores)
            .find(|ids| !ids.is_empty())
            .unwrap_or(&[])
    }
}
