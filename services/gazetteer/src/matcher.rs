//! Finding division names in running text.
//!
//! Chinese has no spaces, so a name is found wherever its characters occur,
//! and a short name is often the tail of an ordinary word (形成县域 holds
//! 成县, 中心城区 holds 城区). Only forms that rarely occur by accident are
//! looked for alone; the others only right after their parent's name
//! (自贡市荣县), where the pair cannot be an accident.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use rustc_hash::FxHasher;

use crate::DataError;
use crate::forms::{self, MIN_CORE_CHARS};
use crate::names::{Tier, WrittenForm, written_forms};
use crate::table::{Level, Table, UnitId};

/// Characters of position and generic urban words. A county core made only
/// of them (城关区, 新城区, 市中区, 东城区) is everyday language for "the old
/// town", "the new town", so such counties are only found after their
/// city's name.
const GENERIC_CORE_CHARS: &str = "东西南北中新老城市郊矿区关";

/// The characters that, right after a form, show that the text does not
/// name the place there:
/// - the form's last character begins the next word: 发展乡村旅游 is 发展 +
///   乡村 (countryside), not the township 发展乡; 河北区域 is 河北 + 区域
///   (region), not Tianjin's 河北区 (only for counties whose core is also a
///   province's or city's short name);
/// - a short name without level word is part of a street name: 汉山西路 holds
///   山西, and 四川路 is a street in Shanghai.
fn not_a_place_before(form: &WrittenForm, core_is_higher_name: bool) -> &'static [char] {
    let last = form.text.chars().next_back();
    match form.level {
        Level::Township if last == Some('乡') => &['村', '镇'],
        Level::County if core_is_higher_name && matches!(last, Some('区' | '县')) => &['域', '级'],
        Level::Province | Level::City if form.tier == Tier::Short && last != Some('州') => &['路', '街', '巷'],
        _ => &[],
    }
}

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

/// A leftmost-longest automaton over the pattern texts; a match's value is
/// the pattern's id.
type Automaton = CharwiseDoubleArrayAhoCorasick<u32>;

/// The automaton over every pattern, compiled ahead of time: building it
/// from 150,000-odd patterns took about 0.2 s, paid again by every process
/// (`townreports extract` on a handful of files spent most of its time
/// there), while reading it back is a copy. The file starts with the
/// [`fingerprint`] of the patterns it was built from, so a stale file is
/// never used: the automaton is then built as before, and the crate's test
/// `the_embedded_automaton_is_current` fails and says how to rewrite it.
static AUTOMATON: &[u8] = include_bytes!("../data/matcher.daac");

/// What identifies the pattern list (texts and order, hence ids).
fn fingerprint(texts: &[String]) -> u64 {
    let mut hasher = FxHasher::default();
    texts.hash(&mut hasher);
    hasher.finish()
}

fn compile(texts: &[String]) -> Result<Automaton, daachorse::errors::DaachorseError> {
    CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build_with_values(texts.iter().zip(0u32..))
}

/// The embedded automaton, if it was built from exactly these patterns.
fn embedded(texts: &[String]) -> Option<Automaton> {
    let (head, body) = AUTOMATON.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*head) != fingerprint(texts) {
        return None;
    }
    Automaton::deserialize(body).ok().map(|(automaton, _)| automaton)
}

pub(crate) struct Matcher {
    automaton: Automaton,
    /// Parts of each pattern, by pattern id, sorted by position then level.
    parts: Vec<Vec<Part>>,
    /// By pattern id: characters after which a match is not a name (see
    /// [`not_a_place_before`]).
    not_before: Vec<Vec<char>>,
    /// Pattern ids by text, for the shorter name inside a refused match.
    by_text: HashMap<String, usize>,
}

/// Whether a written form can be looked for on its own. Official county
/// names are, unless their core is a single or generic character; derived
/// short forms are not when their core is another unit's name (河南县 for
/// 河南蒙古族自治县 would catch 河南县乡两级).
fn safe_alone(table: &Table, id: UnitId, form: &WrittenForm, higher_short_names: &HashSet<&str>) -> bool {
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
                && (form.tier == Tier::Full || !higher_short_names.contains(&core))
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
    not_before: Vec<Vec<char>>,
}

impl Builder {
    fn add(&mut self, text: &str, level: Level, (start, end): (usize, usize), id: UnitId, not_before: &[char]) {
        let pattern = match self.by_text.get(text) {
            Some(&pattern) => pattern,
            None => {
                self.texts.push(text.to_string());
                self.parts.push(Vec::new());
                self.not_before.push(Vec::new());
                self.by_text.insert(text.to_string(), self.texts.len() - 1);
                self.texts.len() - 1
            }
        };
        let stops = &mut self.not_before[pattern];
        for c in not_before {
            if !stops.contains(c) {
                stops.push(*c);
            }
        }
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

    /// Every pattern with its parts, in a fixed order (the ids).
    fn patterns(table: &Table) -> Builder {
        // Forms of every unit, computed once: a parent's forms are used
        // again for each of its children that needs them.
        let written: Vec<Vec<WrittenForm>> = table
            .iter()
            .map(|(id, _)| {
                let mut forms = written_forms(table, id);
                forms.retain(|f| f.tier != Tier::Core);
                forms
            })
            .collect();
        let forms_of = |id: UnitId| &written[id as usize];
        let higher_short_names: HashSet<&str> = table
            .iter()
            .filter(|(id, _)| table.level(*id) <= Level::City)
            .flat_map(|(id, _)| forms_of(id))
            .filter(|f| f.tier == Tier::Short)
            .map(|f| f.text.as_str())
            .collect();
        let mut builder = Builder::default();
        for (id, _) in table.iter() {
            let core_is_higher_name =
                forms::county_core(&table.unit(id).name).is_some_and(|(core, _)| higher_short_names.contains(core));
            for form in forms_of(id) {
                let len = form.text.chars().count();
                let not_before = not_a_place_before(form, core_is_higher_name);
                if safe_alone(table, id, form, &higher_short_names) {
                    builder.add(&form.text, form.level, (0, len), id, not_before);
                    continue;
                }
                let Some(parent) = table.named_parent(id) else { continue };
                for parent_form in forms_of(parent) {
                    let text = format!("{}{}", parent_form.text, form.text);
                    let parent_len = parent_form.text.chars().count();
                    builder.add(&text, parent_form.level, (0, parent_len), parent, &[]);
                    builder.add(&text, form.level, (parent_len, parent_len + len), id, not_before);
                }
            }
        }
        for parts in &mut builder.parts {
            parts.sort_by_key(|p| (p.start, p.level));
            for part in parts.iter_mut() {
                part.ids.sort_unstable();
            }
        }
        builder
    }
}

impl Matcher {
    pub fn build(table: &Table) -> Result<Matcher, DataError> {
        let builder = Builder::patterns(table);
        let automaton = match embedded(&builder.texts) {
            Some(automaton) => automaton,
            None => compile(&builder.texts).map_err(|e| DataError::Matcher(e.to_string()))?,
        };
        Ok(Matcher {
            automaton,
            parts: builder.parts,
            not_before: builder.not_before,
            by_text: builder.by_text,
        })
    }

    /// The pattern that `text[start..end]` is, unless the character after
    /// `end` shows that its last character begins another word; then the
    /// same test for the text one character shorter (河北区域 gives 河北).
    fn accepted(&self, text: &str, start: usize, end: usize, pattern: usize) -> Option<(usize, usize)> {
        let next = text[end..].chars().next();
        if !next.is_some_and(|next| self.not_before[pattern].contains(&next)) {
            return Some((pattern, end));
        }
        let last = text[start..end].chars().next_back()?;
        let shorter = end - last.len_utf8();
        let pattern = *self.by_text.get(&text[start..shorter])?;
        (!self.not_before[pattern].contains(&last)).then_some((pattern, shorter))
    }

    /// Every name in `text`, left to right; at one position the longest
    /// name wins (宁波市 over 宁波), and a name that means several levels
    /// gives one mention per level.
    pub fn find(&self, table: &Table, text: &str) -> Vec<PlaceMention> {
        let mut mentions = Vec::new();
        // Char offsets are counted as the matches go, so a huge text costs
        // one pass and no offset table.
        let (mut byte, mut char) = (0usize, 0usize);
        for found in self.automaton.leftmost_find_iter(text) {
            char += text[byte..found.start()].chars().count();
            byte = found.start();
            let Some((pattern, end)) = self.accepted(text, found.start(), found.end(), found.value() as usize) else {
                continue;
            };
            let matched: Vec<char> = text[found.start()..end].chars().collect();
            for part in &self.parts[pattern] {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of `data/matcher.daac` for these patterns.
    fn serialized(texts: &[String], automaton: &Automaton) -> Vec<u8> {
        let mut bytes = fingerprint(texts).to_le_bytes().to_vec();
        bytes.extend(automaton.serialize());
        bytes
    }
    /// The patterns of the embedded table.
    fn patterns() -> Vec<String> {
        let table = crate::Gazetteer::load().expect("the embedded data loads").table;
        Builder::patterns(&table).texts
    }

    #[test]
    fn the_embedded_automaton_is_current() {
        let texts = patterns();
        let fresh = serialized(&texts, &compile(&texts).expect("the patterns compile"));
        if fresh == AUTOMATON {
            return;
        }
        if std::env::var_os("TOWNREPORTS_WRITE_AUTOMATON").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/matcher.daac");
            std::fs::write(path, &fresh).expect("writing data/matcher.daac");
            panic!("data/matcher.daac rewritten; build again");
        }
        panic!(
            "data/matcher.daac is stale (the patterns or daachorse changed): rewrite it with \
             TOWNREPORTS_WRITE_AUTOMATON=1 cargo test --release -p townreports-gazetteer --lib the_embedded_automaton_is_current"
        );
    }

    /// The double-array automaton finds what the aho-corasick crate's
    /// leftmost-longest automaton (the matcher before it) finds, on a text
    /// where every pattern overlaps its neighbours.
    #[test]
    fn leftmost_longest_as_aho_corasick_finds() {
        let texts = patterns();
        let automaton = embedded(&texts).expect("the embedded automaton is current");
        let reference = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&texts)
            .expect("aho-corasick builds");
        // Patterns run together, and each also cut to its head, so that
        // matches meet, overlap and end early.
        let mut text = String::new();
        for pattern in &texts {
            text.push_str(pattern);
            let head: String = pattern.chars().take(pattern.chars().count() / 2 + 1).collect();
            text.push_str(&head);
        }
        let ours: Vec<(usize, usize, u32)> = automaton
            .leftmost_find_iter(&text)
            .map(|m| (m.start(), m.end(), m.value()))
            .collect();
        let theirs: Vec<(usize, usize, u32)> = reference
            .find_iter(&text)
            .map(|m| (m.start(), m.end(), m.pattern().as_u32()))
            .collect();
        assert!(ours.len() > texts.len());
        assert!(ours == theirs, "the automata disagree");
    }
}
