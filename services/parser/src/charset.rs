//! Bytes to text, in the order browsers use: BOM, the HTTP header, a
//! `<meta>` declaration, then detection. GB2312 and GBK are decoded as
//! GB18030 (a superset: pages labelled GB2312 routinely use GBK characters),
//! and a declaration that the bytes contradict loses to detection.

use encoding_rs::{Encoding, GB18030, UTF_8};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// Where the charset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    Bom,
    Header,
    Meta,
    Detected,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// `UTF-8`, `GBK` (for the GB family), `Big5`, …
    pub charset: &'static str,
    pub source: CharsetSource,
}

static META_CHARSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_\-]+)"#).expect("static regex"));

/// How much of the page a `<meta>` declaration is looked for in.
const PRESCAN: usize = 4096;

pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return finish(encoding, &bytes[bom_len..], CharsetSource::Bom);
    }
    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, CharsetSource::Header))
        .or_else(|| meta_charset(bytes).map(|e| (e, CharsetSource::Meta)));
    if let Some((encoding, source)) = declared {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if !had_errors {
            return Decoded {
                text: text.into_owned(),
                charset: name(encoding),
                source,
            };
        }
        // The declaration is wrong if another charset decodes cleanly.
        let detected = detect(bytes);
        if detected != encoding {
            let (text, detected_errors) = detected.decode_without_bom_handling(bytes);
            if !detected_errors {
                return Decoded {
                    text: text.into_owned(),
                    charset: name(detected),
                    source: CharsetSource::Detected,
                };
            }
        }
        return Decoded {
            text: text.into_owned(),
            charset: name(encoding),
            source,
        };
    }
    finish(detect(bytes), bytes, CharsetSource::Detected)
}

fn finish(encoding: &'static Encoding, bytes: &[u8], source: CharsetSource) -> Decoded {
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        charset: name(encoding),
        source,
    }
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(1 << 20)], true);
    widen(detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow))
}

/// A charset label to an encoding, the GB family widened to GB18030.
pub fn label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().trim_matches(|c| c == '"' || c == '\'').as_bytes()).map(widen)
}

fn widen(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == encoding_rs::GBK || encoding == GB18030 {
        GB18030
    } else {
        encoding
    }
}

fn name(encoding: &'static Encoding) -> &'static str {
    if encoding == GB18030 {
        "GBK"
    } else if encoding == UTF_8 {
        "UTF-8"
    } else {
        encoding.name()
    }
}

fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    let lower = content_type.to_ascii_lowercase();
    let value = lower
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .next()?;
    label(value)
}

fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN)];
    let caps = META_CHARSET.captures(head)?;
    label(std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "镇人民政府2023年政府工作报告：粮食播种面积5997亩，财政收入4720万元。";

    fn gbk(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn header_meta_and_detection() {
        let page = gbk(&format!(
            "<html><head><meta charset=\"gb2312\"></head><body><p>{TEXT}</p></body></html>"
        ));
        let d = decode(&page, Some("text/html; charset=GBK"));
        assert_eq!((d.charset, d.source), ("GBK", CharsetSource::Header));
        assert!(d.text.contains(TEXT));
        let d = decode(&page, Some("text/html"));
        assert_eq!((d.charset, d.source), ("GBK", CharsetSource::Meta));
        let bare = gbk(&format!("<p>{}</p>", TEXT.repeat(3)));
        let d = decode(&bare, None);
        assert_eq!((d.charset, d.source), ("GBK", CharsetSource::Detected));
        assert!(d.text.contains(TEXT));
    }

    #[test]
    fn a_lying_declaration_loses() {
        // Declared gb2312, really UTF-8.
        let page = format!("<meta charset=\"gb2312\"><p>{TEXT}</p>");
        let d = decode(page.as_bytes(), None);
        assert_eq!(d.charset, "UTF-8");
        assert!(d.text.contains(TEXT));
        // Declared UTF-8 by the header, really GBK.
        let d = decode(
            &gbk(&format!("<p>{}</p>", TEXT.repeat(3))),
            Some("text/html; charset=utf-8"),
        );
        assert_eq!(d.charset, "GBK");
        assert!(d.text.contains(TEXT));
    }

    #[test]
    fn boms_win_and_garbage_does_not_panic() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(TEXT.as_bytes());
        let d = decode(&bytes, Some("text/html; charset=gbk"));
        assert_eq!((d.charset, d.source), ("UTF-8", CharsetSource::Bom));
        let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let _ = decode(&noise, Some("text/html; charset=nonsense"));
    }
}
