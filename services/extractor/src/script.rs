//! Traditional script (繁體) read as simplified, character for character.
//!
//! Mirrors of township reports circulate in traditional characters; the
//! rules, the national table and the labels are in simplified ones. The
//! text is converted with OpenCC's tables before extraction, and the
//! conversion keeps the character count, so every span computed on the
//! simplified text points at the same characters of the text as printed.

use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// Characters of the opening read to decide the script: enough for a title
/// and a few sentences, so a simplified page costs a short look only.
const SAMPLE_CHARS: usize = 600;
/// Converted characters in the sample that make a page traditional. A
/// simplified page converts to itself but for a rare variant (乾, 著).
const MIN_CHANGED: usize = 4;

/// Frequent characters that exist only in traditional script, those of
/// government reports first.
const COMMON_TRADITIONAL: &str = "們這個來為會說時國過從對發經與體開長現關點當兩進動種樣實還區頭學問題應機業產義見將變務鎮鄉縣報總計劃際農戶濟線設規劃區級黨員幹導領幫億萬畝場書記辦處務環衛條層專項網絡質質縣歲鄰維穩競爭稅費貸銀價讓頁衛聯";

static T2S: LazyLock<Option<OpenCC>> = LazyLock::new(|| match OpenCC::from_config(BuiltinConfig::T2s) {
    Ok(converter) => Some(converter),
    Err(e) => {
        // The tables are compiled into the binary; this cannot fail short of
        // a broken build, and then pages are read as printed.
        tracing::error!(error = %e, "OpenCC's t2s tables did not load: traditional script is read as printed");
        None
    }
});

/// Whether `text` is printed in traditional script.
pub fn is_traditional(text: &str) -> bool {
    let end = text.char_indices().nth(SAMPLE_CHARS).map_or(text.len(), |(i, _)| i);
    let sample = &text[..end];
    // A simplified page has none of the commonest traditional-only
    // characters; only a page that has some is converted to be sure.
    if sample
        .chars()
        .filter(|c| COMMON_TRADITIONAL.contains(*c))
        .take(MIN_CHANGED)
        .count()
        < MIN_CHANGED
    {
        return false;
    }
    let Some(t2s) = T2S.as_ref() else {
        return false;
    };
    let converted = t2s.convert(sample);
    sample.chars().zip(converted.chars()).filter(|(a, b)| a != b).count() >= MIN_CHANGED
}

/// `text` in simplified characters with exactly as many characters as
/// `text`: converted whole where OpenCC keeps the length (nearly always),
/// line by line otherwise, and character by character in a line whose
/// phrase conversion changed its length. `None` when it is not traditional.
pub fn simplified(text: &str) -> Option<String> {
    let t2s = T2S.as_ref()?;
    let whole = t2s.convert(text);
    if whole.chars().count() == text.chars().count() {
        return Some(whole);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let converted = t2s.convert(line);
        if converted.chars().count() == line.chars().count() {
            out.push_str(&converted);
        } else {
            let mut buf = [0u8; 4];
            for c in line.chars() {
                let one = t2s.convert(c.encode_utf8(&mut buf));
                let mut chars = one.chars();
                match (chars.next(), chars.next()) {
                    (Some(s), None) => out.push(s),
                    _ => out.push(c),
                }
            }
        }
    }
    Some(out)
}

/// How far ahead the printed twin of a character is looked for; text the
/// cleaning wrote itself (not from the page) has no twin and stays as is.
const TWIN_WINDOW: usize = 4096;

/// The printed form of `cleaned`, a text cut out of `simple` (the
/// simplified twin of `printed`, of the same length): each character is
/// taken from `printed` at the place it came from in `simple`.
pub fn as_printed(cleaned: &str, simple: &str, printed: &str) -> String {
    let simple: Vec<char> = simple.chars().collect();
    let printed: Vec<char> = printed.chars().collect();
    let mut at = 0;
    cleaned
        .chars()
        .map(|c| {
            // Whitespace is the same in both scripts, and the cleaning
            // writes some of its own (line breaks between parts).
            if c.is_whitespace() {
                return c;
            }
            let window = &simple[at.min(simple.len())..(at + TWIN_WINDOW).min(simple.len())];
            match window.iter().position(|&s| s == c) {
                Some(i) if printed.len() == simple.len() => {
                    at += i + 1;
                    printed[at - 1]
                }
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_pages_are_told_from_simplified_ones() {
        assert!(is_traditional(
            "鄉鎮人代會換屆選舉工作報告\n各位代表：現在，我代表鎮人民政府向大會報告工作。"
        ));
        assert!(!is_traditional(
            "乡镇人代会换届选举工作报告\n各位代表：现在，我代表镇人民政府向大会报告工作。"
        ));
        assert!(!is_traditional("乾县某镇著力发展"));
        assert!(!is_traditional(""));
    }

    #[test]
    fn conversion_keeps_every_character_in_place() {
        let printed = "２０２３年，全鎮實現財政收入1.2億元，增長8.5%；發展鄉村旅遊。\n臺灣 著作 乾燥 里程 後來";
        let simple = simplified(printed).unwrap();
        assert_eq!(simple.chars().count(), printed.chars().count());
        assert!(
            simple.contains("全镇实现财政收入1.2亿元，增长8.5%；发展乡村旅游。"),
            "{simple}"
        );
        // Same positions: what a span finds in one it finds in the other.
        for (p, s) in printed.chars().zip(simple.chars()) {
            assert_eq!(p.is_ascii(), s.is_ascii());
        }
    }

    #[test]
    fn cut_text_finds_its_printed_characters() {
        let printed = "首頁 > 信息公開\n某鎮2023年工作總結\n全鎮實現財政收入1.2億元。\n分享到：";
        let simple = simplified(printed).unwrap();
        let cleaned = "某镇2023年工作总结\n全镇实现财政收入1.2亿元。";
        assert_eq!(
            as_printed(cleaned, &simple, printed),
            "某鎮2023年工作總結\n全鎮實現財政收入1.2億元。"
        );
        // A character the cleaning added itself has no twin: kept, and the rest still line up.
        assert_eq!(as_printed("【某镇】全镇", &simple, printed), "【某鎮】全鎮");
    }
}
