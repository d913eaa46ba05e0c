//! Chinese word segmentation for full-text search. Neither SQLite's FTS5
//! tokenizers nor PostgreSQL's parsers know where Chinese words end, so
//! text is cut into words with jieba (search mode: long words also yield
//! their dictionary sub-words) and stored as space-separated words; a query
//! is cut the same way and each of its words matched as a word prefix.
//!
//! jieba's dictionary does not know most place names, so every division
//! name in the national table and each township name's core (城关镇 and
//! 城关) is added to it: a place name is then one word wherever it occurs,
//! and the query 城关 finds it.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use townreports_gazetteer::Gazetteer;

/// The longest text indexed per report, in characters: PostgreSQL's
/// tsvector holds at most 1 MB, and the start of a report says what it is.
pub const MAX_INDEXED_CHARS: usize = 200_000;

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in Gazetteer::global().place_words() {
        jieba.add_word(word, None, Some("ns"));
    }
    jieba
});

/// Loads the dictionary now rather than on the first write or query.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// `text` as space-separated, lower-cased search words.
pub fn index_words(text: &str) -> String {
    let text = match text.char_indices().nth(MAX_INDEXED_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for word in JIEBA.cut_for_search(text, true) {
        if let Some(word) = clean(word) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&word);
        }
    }
    out
}

/// The words of a search query, each to be matched as a word prefix. Empty
/// when the query holds no letters or digits.
pub fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in JIEBA.cut(query, true) {
        if let Some(word) = clean(word)
            && !words.contains(&word)
        {
            words.push(word);
        }
    }
    words
}

/// A word kept for search: lower-cased, with something to find in it.
fn clean(word: &str) -> Option<String> {
    let word = word.trim();
    word.chars().any(char::is_alphanumeric).then(|| word.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_names_stay_whole_and_their_cores_are_words() {
        let words = index_words("城关镇2023年粮食播种面积5.3万亩。");
        let words: Vec<&str> = words.split(' ').collect();
        assert!(words.contains(&"城关镇"), "{words:?}");
        assert!(words.contains(&"城关"), "{words:?}");
        assert!(words.contains(&"粮食"), "{words:?}");
        assert!(words.contains(&"面积"), "{words:?}");
        assert!(!words.iter().any(|w| w.contains('。')), "{words:?}");
    }

    #[test]
    fn queries_are_cut_the_same_way() {
        assert_eq!(query_words("城关"), ["城关"]);
        let words = query_words("粮食播种面积");
        assert!(words.len() >= 2, "{words:?}");
        let indexed = index_words("全镇粮食播种面积稳定");
        for word in &words {
            assert!(
                indexed.split(' ').any(|w| w.starts_with(word.as_str())),
                "{word} not in {indexed}"
            );
        }
        assert!(query_words(" ，。!! ").is_empty());
        assert_eq!(query_words("GDP gdp"), ["gdp"]);
    }

    #[test]
    fn long_texts_are_cut_at_the_limit() {
        let text = "乡".repeat(MAX_INDEXED_CHARS + 10);
        assert!(index_words(&text).chars().filter(|c| *c == '乡').count() <= MAX_INDEXED_CHARS);
    }
}
