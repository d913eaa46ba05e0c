//! Bytes to text, in the order browsers use: a BOM, the HTTP header, a
//! `<meta>` declaration in the first bytes, then detection.
//!
//! Two departures from browsers, both because government sites lie about
//! their charset more often than they tell the truth about it:
//!
//! - GB2312 and GBK labels decode as GB18030, a superset: pages labelled
//!   GB2312 routinely use characters only GBK has.
//! - A declaration the bytes contradict loses to detection: when the
//!   declared decoding has malformed sequences and another encoding decodes
//!   with fewer, when the bytes are valid UTF-8 whatever the label says, and
//!   when a single-byte Western label (a framework's ISO-8859-1 default)
//!   hides a Chinese multi-byte page.

use std::sync::LazyLock;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};
use regex::bytes::Regex;

/// Where the charset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A byte-order mark opened the body.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    Header,
    /// A `<meta charset>` or `<meta http-equiv="Content-Type">` near the top.
    Meta,
    /// Nothing was declared, or the declaration contradicted the bytes.
    Detected,
}

/// A decoded body.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The WHATWG name of the encoding used: `UTF-8`, `gb18030`, `Big5`, …
    pub encoding_name: &'static str,
    pub source: CharsetSource,
}

/// How much of the body a `<meta>` declaration is looked for in (browsers
/// prescan 1,024 bytes; government templates put long comments first).
const PRESCAN: usize = 4096;
/// How much of the body the detector reads: enough to decide (a page's
/// chrome and the opening of its text), bounded so a 50 MB page costs no
/// more than a small one.
const DETECT_SAMPLE: usize = 64 << 10;

static META_CHARSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).expect("static regex"));

/// Decodes `bytes`; never fails (malformed sequences become U+FFFD).
///
/// The detector runs only when nothing is declared or the bytes put the
/// declaration in doubt, and then on a bounded prefix: on a page whose
/// declaration decodes cleanly it would cost more than all the rest of
/// reading the page.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..], CharsetSource::Bom).0;
    }
    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, CharsetSource::Header))
        .or_else(|| meta_charset(bytes).map(|e| (e, CharsetSource::Meta)));
    let Some((encoding, source)) = declared else {
        return decode_with(detect(bytes), bytes, CharsetSource::Detected).0;
    };
    let (declared, declared_errors) = decode_with(encoding, bytes, source);
    // Valid UTF-8 is almost never accidentally so, whatever the label says.
    let utf8_in_disguise = || encoding != UTF_8 && !bytes.is_ascii() && mostly_utf8(bytes);
    if declared_errors == 0 && !encoding.is_single_byte() {
        return if utf8_in_disguise() {
            decode_with(UTF_8, bytes, CharsetSource::Detected).0
        } else {
            declared
        };
    }
    let detected = detect(bytes);
    if detected == encoding {
        return declared;
    }
    let (guess, guess_errors) = decode_with(detected, bytes, CharsetSource::Detected);
    // Otherwise the decoding with fewer malformed characters wins, and a
    // clean single-byte decoding proves nothing (any bytes are "valid"
    // ISO-8859-1).
    let contradicted = (detected == UTF_8 && utf8_in_disguise())
        || if declared_errors > 0 {
            guess_errors < declared_errors
        } else {
            guess_errors == 0 && !detected.is_single_byte()
        };
    if contradicted { guess } else { declared }
}

/// The decoded text and how many characters were malformed.
fn decode_with(encoding: &'static Encoding, bytes: &[u8], source: CharsetSource) -> (Decoded, usize) {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let errors = if had_errors {
        text.chars().filter(|c| *c == char::REPLACEMENT_CHARACTER).count()
    } else {
        0
    };
    let decoded = Decoded {
        text: text.into_owned(),
        encoding_name: encoding.name(),
        source,
    };
    (decoded, errors)
}

/// chardetng's guess for Chinese sites, UTF-8 allowed.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let sample = &bytes[..bytes.len().min(DETECT_SAMPLE)];
    // chardetng gives up on UTF-8 at its first invalid byte, so a UTF-8
    // page with a pasted fragment in another charset would be read whole
    // as GBK, every character garbled; and for UTF-8 it has nothing to add.
    if mostly_utf8(sample) {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // `last` only when the sample is the whole body: a cut UTF-8 sequence at
    // the end of a prefix must not count against UTF-8.
    detector.feed(sample, sample.len() == bytes.len());
    widen(detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow))
}

/// Whether nearly all of `bytes` that is not ASCII is valid UTF-8: multi-
/// byte sequences that happen to be valid UTF-8 are rare in GBK text, so
/// ten of them for every invalid byte means UTF-8 with a foreign fragment.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().bytes().filter(|b| !b.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    valid > 0 && valid >= 10 * invalid
}

/// A charset label to an encoding, the GB family widened to GB18030.
pub fn label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    Encoding::for_label(label.as_bytes()).map(widen)
}

fn widen(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == GBK { GB18030 } else { encoding }
}

fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| label(value))
            .flatten()
    })
}

/// The charset a `<meta>` in the first [`PRESCAN`] bytes declares. As in
/// browsers, a UTF-16 declaration in an ASCII-compatible document means
/// UTF-8, and x-user-defined means windows-1252.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN)];
    let caps = META_CHARSET.captures(head)?;
    let encoding = label(std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?)?;
    Some(if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else if encoding == X_USER_DEFINED {
        WINDOWS_1252
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "镇人民政府2023年政府工作报告：粮食播种面积5997亩，财政收入4720万元。";

    fn gbk(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn header_then_meta_then_detection() {
        let page = gbk(&format!(
            "<html><head><meta charset=\"gb2312\"></head><body><p>{TEXT}</p></body></html>"
        ));
        let d = decode(&page, Some("text/html; charset=GBK"));
        assert_eq!((d.encoding_name, d.source), ("gb18030", CharsetSource::Header));
        assert!(d.text.contains(TEXT));
        let d = decode(&page, Some("text/html"));
        assert_eq!((d.encoding_name, d.source), ("gb18030", CharsetSource::Meta));
        let bare = gbk(&format!("<p>{}</p>", TEXT.repeat(3)));
        let d = decode(&bare, None);
        assert_eq!((d.encoding_name, d.source), ("gb18030", CharsetSource::Detected));
        assert!(d.text.contains(TEXT));
    }

    #[test]
    fn header_parameters_are_read_loosely() {
        assert_eq!(header_charset("text/html;Charset = \"gb2312\""), Some(GB18030));
        assert_eq!(header_charset("text/html; boundary=x; charset=utf-8"), Some(UTF_8));
        assert_eq!(header_charset("text/html; charset=nonsense"), None);
        assert_eq!(header_charset("text/html"), None);
    }

    #[test]
    fn http_equiv_declarations_count() {
        let page = gbk(&format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><p>{TEXT}</p>"
        ));
        let d = decode(&page, None);
        assert_eq!((d.encoding_name, d.source), ("gb18030", CharsetSource::Meta));
        assert!(d.text.contains(TEXT));
    }

    #[test]
    fn characters_only_gbk_has_decode_under_a_gb2312_label() {
        // 镕 and 珺 are outside GB2312.
        let page = gbk("<meta charset=gb2312><p>朱镕基 王珺 同志</p>");
        let d = decode(&page, None);
        assert!(d.text.contains("朱镕基 王珺"), "{}", d.text);
    }

    #[test]
    fn utf8_declared_as_gb2312_decodes_as_utf8() {
        let page = format!("<meta charset=\"gb2312\"><p>{TEXT}</p>");
        let d = decode(page.as_bytes(), None);
        assert_eq!((d.encoding_name, d.source), ("UTF-8", CharsetSource::Detected));
        assert!(d.text.contains(TEXT));
        // Even when the UTF-8 bytes happen to be well-formed GB18030 too.
        let even = "<meta charset=\"gbk\"><p>政府工作</p>";
        assert!(!GB18030.decode_without_bom_handling(even.as_bytes()).1);
        assert!(decode(even.as_bytes(), None).text.contains("政府工作"));
    }

    #[test]
    fn gbk_declared_as_utf8_decodes_as_gbk() {
        let page = gbk(&format!("<p>{}</p>", TEXT.repeat(3)));
        let d = decode(&page, Some("text/html; charset=utf-8"));
        assert_eq!((d.encoding_name, d.source), ("gb18030", CharsetSource::Detected));
        assert!(d.text.contains(TEXT));
    }

    #[test]
    fn a_latin1_default_does_not_hide_a_chinese_page() {
        let page = gbk(&format!("<p>{}</p>", TEXT.repeat(3)));
        let d = decode(&page, Some("text/html; charset=ISO-8859-1"));
        assert_eq!(d.encoding_name, "gb18030");
        assert!(d.text.contains(TEXT));
        // A real Western page keeps its label.
        let western = WINDOWS_1252.encode("<p>Caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e</p>").0;
        assert_eq!(
            decode(&western, Some("text/html; charset=iso-8859-1")).encoding_name,
            "windows-1252"
        );
    }

    #[test]
    fn boms_win_and_utf16_meta_means_utf8() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(TEXT.as_bytes());
        let d = decode(&bytes, Some("text/html; charset=gbk"));
        assert_eq!((d.encoding_name, d.source), ("UTF-8", CharsetSource::Bom));
        assert_eq!(d.text, TEXT);
        let page = format!("<meta charset=utf-16><p>{TEXT}</p>");
        assert_eq!(decode(page.as_bytes(), None).encoding_name, "UTF-8");
    }

    #[test]
    fn utf8_with_a_gbk_fragment_is_utf8() {
        let mut bytes = "<p>全镇地区生产总值增长百分之六，财政收入稳步提高。</p>"
            .repeat(10)
            .into_bytes();
        bytes.extend(gbk("<p>附注</p>"));
        for content_type in [None, Some("text/html; charset=gbk")] {
            let decoded = decode(&bytes, content_type);
            assert_eq!(decoded.encoding_name, "UTF-8", "{content_type:?}");
            assert!(decoded.text.contains("财政收入稳步提高"));
        }
        // A GBK page is not mistaken for one.
        let page = gbk(&"<p>全镇地区生产总值增长百分之六，财政收入稳步提高。</p>".repeat(10));
        assert_eq!(decode(&page, None).encoding_name, "gb18030");
    }

    #[test]
    fn garbage_and_cut_sequences_do_not_panic() {
        let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let _ = decode(&noise, Some("text/html; charset=nonsense"));
        let _ = decode(&noise, None);
        let cut = &TEXT.as_bytes()[..TEXT.len() - 1];
        assert!(decode(cut, Some("text/html; charset=utf-8")).text.ends_with('\u{fffd}'));
        assert_eq!(decode(b"", None).text, "");
    }
}
