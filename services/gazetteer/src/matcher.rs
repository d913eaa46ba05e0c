//! Finding division names in running text.
//!
//! Chinese has no spaces, so a name is found wherever its characters occur,
//! and a short name is often the tail of an ordinary word (形成县域 holds
//! 成县, 中心城区 holds 城区). Only forms that rarely occur by accident are
//! looked for alone; the others only right after their parent's name
//! (自贡市荣县, 桐乡市乌镇), where the pair cannot be an accident.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::forms::{self, MIN_CORE_CHARS};
use crate::names::{Tier, WrittenForm, written_forms};
use crate::table::{Level, Table, UnitId};

/// Characters of position and generic urban words. A county core made only
/// of them (城关区, 新城区, 市中区, 东城区) is everyday language for "the old
/// town", "the new town", so such counties are only found after their
/// city's name.
const GENERIC_CORE_CHARS: &str = "东西南北中新老城市郊矿区关";

/// A division name found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMention {
    /// The name as the text writes it (长阳县, 四川, 南磨房乡).
    pub name: String,
    pub level: Level,
    /// Every unit of that level the name can mean, in code order.
    pub codes: Vec<String>,
    /// Char offsets in the text, end exclusive.
    pub start: usize,
    pub end: usize,
}

/// One name inside a pattern: a plain pattern has one part per level it
/// names (北京 is province and city), a parent + child pattern has a part
/// for each.
#[derive(Debug)]
struct Part {
    level: Level,
    /// Char range within the pattern.
    start: usize,
    end: usize,
    ids: Vec<UnitId>,
}

#[derive(Debug)]
pub(crate) struct Matcher {
    automaton: AhoCorasick,
    /// Parts of each pattern, by pattern id, sorted by position then level.
    parts: Vec<Vec<Part>>,
}

/// Whether a written form can be looked for on its own.
fn safe_alone(table: &Table, id: UnitId, form: &WrittenForm, higher_short_names: &[&str]) -> bool {
    let chars = |s: &str| s.chars().count();
    match form.level {
        Level::Province => true,
        // A municipality's city forms are its province forms.
        Level::City if table.level(id) == Level::Province => true,
        // 乐山, 大同, 白银, 安康 are also ordinary words; 攀枝花 and 恩施州 are not.
        Level::City => form.tier == Tier::Full || form.text.ends_with('州') || chars(&form.text) >= 3,
        Level::County => {
            let Some((core, _)) = forms::county_core(&table.unit(id).name) else {
                return false;
            };
            chars(core) >= MIN_CORE_CHARS
                && !core.chars().all(|c| GENERIC_CORE_CHARS.contains(c))
                // 河南县 (河南蒙古族自治县) would also catch 河南县域.
                && !higher_short_names.contains(&core)
        }
        Level::Township => {
            forms::township_suffix(&form.text).is_some() && chars(forms::township_core(&form.text)) >= MIN_CORE_CHARS
        }
    }
}

#[derive(Default)]
struct Builder {
    by_text: HashMap<String, usize>,
    texts: Vec<String>,
    parts: Vec<Vec<Part>>,
}

impl Builder {
    fn add(&mut self, text: &str, level: Level, start: usize, end: usize, id: UnitId) {
        let pattern = *self.by_text.entry(text.to_string()).or_insert_with(|| {
            self.texts.push(text.to_string());
            self.parts.push(Vec::new());
            self.texts.len() - 1
        });
        let parts = &mut self.parts[pattern];
        match parts
            .iter_mut()
            .find(|p| (p.level, p.start, p.end) == (level, start, end))
        {
            Some(part) if part.ids.contains(&id) => {}
            Some(part) => part.ids.push(id),
            None => parts.push(Part {
                level,
                start,
                end,
                ids: vec![id],
            }),
        }
    }
}

impl Matcher {
    pub fn build(table: &Table) -> Result<Matcher, aho_corasick::BuildError> {
        let written = |id: UnitId| -> Vec<WrittenForm> {
            written_forms(table, id)
                .into_iter()
                .filter(|f| f.tier != Tier::Core)
                .collect()
        };
        let higher_short_names: Vec<String> = table
            .iter()
            .filter(|(id, _)| table.level(*id) <= Level::City)
            .flat_map(|(id, _)| written(id))
            .filter(|f| f.tier == Tier::Short)
            .map(|f| f.text)
            .collect();
        let higher_short_names: Vec<&str> = higher_short_names.iter().map(String::as_str).collect();
        let mut builder = Builder::default();
        for (id, _) in table.iter() {
            for form in written(id) {
                let len = form.text.chars().count();
                if safe_alone(table, id, &form, &higher_short_names) {
                    builder.add(&form.text, form.level, 0, len, id);
                    continue;
                }
                let Some(parent) = table.named_parent(id) else { continue };
                for parent_form in written(parent) {
                    let text = format!("{}{}", parent_form.text, form.text);
                    let parent_len = parent_form.text.chars().count();
                    builder.add(&text, parent_form.level, 0, parent_len, parent);
                    builder.add(&text, form.level, parent_len, parent_len + len, id);
                }
            }
        }
        for parts in &mut builder.parts {
            parts.sort_by_key(|p| (p.start, p.level));
            for part in parts.iter_mut() {
                part.ids.sort_unstable();
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&builder.texts)?;
        Ok(Matcher {
            automaton,
            parts: builder.parts,
        })
    }

    /// Every name in `text`, left to right; at one position the longest
    /// name wins (宁波市 over 宁波), and a name that means several levels
    /// gives one mention per level.
    pub fn find(&self, table: &Table, text: &str) -> Vec<PlaceMention> {
        let mut mentions = Vec::new();
        // Char offsets are counted as the matches go, so a huge text costs
        // one pass and no offset table.
        let (mut byte, mut char) = (0usize, 0usize);
        for found in self.automaton.find_iter(text) {
            char += text[byte..found.start()].chars().count();
            byte = found.start();
            let matched: Vec<char> = text[found.start()..found.end()].chars().collect();
            for part in &self.parts[found.pattern().as_usize()] {
                mentions.push(PlaceMention {
                    name: matched[part.start..part.end].iter().collect(),
                    level: part.level,
                    codes: part.ids.iter().map(|&id| table.unit(id).code.to_string()).collect(),
                    start: char + part.start,
                    end: char + part.end,
                });
            }
        }
        mentions
    }
}
