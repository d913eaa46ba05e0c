//! Attachments: reports are often published as a PDF or DOCX linked from a
//! short article. Their format is read from the bytes (servers send
//! `application/octet-stream` as often as the right type), PDF and DOCX
//! are turned into text in pure Rust, and the formats that cannot be read
//! here (DOC and WPS, OLE compound files; OFD, China's fixed-layout format;
//! spreadsheets, RTF) are named so the crawler counts them.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

/// The most text read out of one attachment; a report is a few hundred KB.
const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// What the bytes of a fetched file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    /// A format recognised but not read: `doc`, `wps`, `ofd`, `xls`,
    /// `xlsx`, `rtf`, `zip`.
    Unsupported(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("unreadable {format}: {message}")]
    Unreadable { format: &'static str, message: String },
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The attachment format of `bytes` (fetched from `path`), or `None` for
/// anything else (HTML, plain text), which the page parser reads.
pub fn sniff(bytes: &[u8], path: &str) -> Option<Format> {
    let head = &bytes[..bytes.len().min(1024)];
    let extension = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(Format::Pdf);
    }
    if head.starts_with(OLE_MAGIC) {
        return Some(Format::Unsupported(match extension.as_str() {
            "wps" => "wps",
            "xls" | "et" => "xls",
            _ => "doc",
        }));
    }
    if head.starts_with(b"{\\rtf") {
        return Some(Format::Unsupported("rtf"));
    }
    if head.starts_with(b"PK\x03\x04") {
        let names: Vec<String> = zip::ZipArchive::new(Cursor::new(bytes))
            .map(|z| z.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect())
            .unwrap_or_default();
        let has = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
        return Some(if has("word/document.xml") {
            Format::Docx
        } else if has("OFD.xml") {
            Format::Unsupported("ofd")
        } else if has("xl/workbook.xml") {
            Format::Unsupported("xlsx")
        } else {
            Format::Unsupported("zip")
        });
    }
    None
}

/// The text of a PDF or DOCX, one paragraph a line.
pub fn text(format: Format, bytes: &[u8]) -> Result<String, AttachmentError> {
    match format {
        Format::Pdf => pdf_text(bytes),
        Format::Docx => docx_text(bytes),
        Format::Unsupported(name) => Err(AttachmentError::Unreadable {
            format: name,
            message: "this format is not read".into(),
        }),
    }
}

fn pdf_text(bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable { format: "pdf", message };
    // pdf-extract panics on some malformed files instead of failing: a
    // panic here is a bad file, not a bug of ours to crash on.
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    match result {
        Ok(Ok(text)) => Ok(join_broken_lines(&text)),
        Ok(Err(e)) => Err(unreadable(e.to_string())),
        Err(_) => Err(unreadable("the PDF reader gave up on this file".into())),
    }
}

/// PDF text comes a visual line at a time; a paragraph's lines are joined
/// when a line ends without sentence punctuation and the next begins with
/// no heading or list marker. Blank lines always separate.
fn join_broken_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_open = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            previous_open = false;
            continue;
        }
        let starts_item = line.starts_with(|c: char| "一二三四五六七八九十（(0123456789第".contains(c));
        if previous_open && !starts_item {
            // continue the paragraph
        } else if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(line);
        previous_open = !line.ends_with(|c: char| "。！？；：:;!?”」）)".contains(c)) && line.chars().count() > 20;
    }
    out
}

fn docx_text(bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable {
        format: "docx",
        message,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|e| unreadable(e.to_string()))?;
    let mut xml = String::new();
    // The size is checked while reading: a zip bomb stops at the limit.
    entry
        .take(MAX_TEXT_BYTES)
        .read_to_string(&mut xml)
        .map_err(|e| unreadable(e.to_string()))?;
    let mut reader = Reader::from_str(&xml);
    let mut text = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == "w:t" => in_text = true,
            Ok(Event::End(e)) if e.name().as_ref() == "w:t" => in_text = false,
            Ok(Event::End(e)) if e.name().as_ref() == "w:p" => text.push('\n'),
            Ok(Event::Empty(e)) if matches!(e.name().as_ref(), "w:br" | "w:cr") => text.push('\n'),
            Ok(Event::Empty(e)) if e.name().as_ref() == "w:tab" => text.push('\t'),
            Ok(Event::Text(t)) if in_text => text.push_str(&t.into_inner()),
            Ok(Event::GeneralRef(r)) if in_text => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => {
                    let entity = format!("&{};", r.into_inner());
                    let resolved = quick_xml::escape::unescape(&entity).map_err(|e| unreadable(e.to_string()))?;
                    text.push_str(&resolved);
                }
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(unreadable(e.to_string())),
            _ => {}
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "/a/x.html"), Some(Format::Pdf));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend_from_slice(&[0; 100]);
        assert_eq!(sniff(&ole, "/a/P0201.doc"), Some(Format::Unsupported("doc")));
        assert_eq!(sniff(&ole, "/a/P0201.WPS"), Some(Format::Unsupported("wps")));
        assert_eq!(sniff(b"{\\rtf1\\ansi", "/a/x"), Some(Format::Unsupported("rtf")));
        assert_eq!(
            sniff(b"<html><body>", "/a/x.pdf"),
            None,
            "an error page at a .pdf URL is HTML"
        );
        assert_eq!(
            sniff(b"PK\x03\x04 not really a zip", "/a/x.zip"),
            Some(Format::Unsupported("zip"))
        );
        assert!(text(Format::Pdf, b"%PDF-1.4 garbage").is_err());
        assert!(text(Format::Docx, b"PK\x03\x04 garbage").is_err());
    }

    #[test]
    fn pdf_lines_join_into_paragraphs() {
        let text = "一、2023年工作回顾\n全年实现地区生产总值12.5亿元，同比增长6.2%，\n完成固定资产投资3亿元。\n\n二、2024年工作安排\n";
        assert_eq!(
            join_broken_lines(text),
            "一、2023年工作回顾\n全年实现地区生产总值12.5亿元，同比增长6.2%，完成固定资产投资3亿元。\n二、2024年工作安排"
        );
    }
}
