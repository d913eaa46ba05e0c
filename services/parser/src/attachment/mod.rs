//! Attachments: reports are often published only as a file under a short
//! disclosure page. Their format is read from the bytes (servers send
//! `application/octet-stream` as often as the right type) and each is
//! turned into text in process, in pure Rust: PDF and DOCX here, Word and
//! WPS binaries in [`word`], OFD in [`ofd`], spreadsheets in [`sheet`],
//! RTF with `rtf-parser-tt`. A PDF of scanned pages has no text to read:
//! it is reported as image-only, never guessed at. Formats not read
//! (PowerPoint, bare zips) are named so the crawler counts them.

mod ofd;
mod sheet;
mod word;

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
    /// Word 97-2003 binary.
    Doc,
    /// WPS Office's word processor file (Word's binary format inside).
    Wps,
    /// GB/T 33190, the national format for official electronic documents.
    Ofd,
    Xls,
    /// WPS Office's spreadsheet (XLS's binary format inside).
    Et,
    Xlsx,
    Rtf,
    /// A format recognised but not read: `ole` (PowerPoint and other
    /// compound files), `zip`.
    Unsupported(&'static str),
}

impl Format {
    /// The name it is counted under.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Doc => "doc",
            Format::Wps => "wps",
            Format::Ofd => "ofd",
            Format::Xls => "xls",
            Format::Et => "et",
            Format::Xlsx => "xlsx",
            Format::Rtf => "rtf",
            Format::Unsupported(name) => name,
        }
    }
}

/// What reading an attachment gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Its text, one paragraph (or table row) a line.
    Text(String),
    /// A PDF whose pages are images and carry no text: only OCR could read it.
    ImageOnly,
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
        return Some(ole_format(bytes, &extension));
    }
    if head.starts_with(b"{\\rtf") {
        return Some(Format::Rtf);
    }
    if head.starts_with(b"PK\x03\x04") {
        let names: Vec<String> = zip::ZipArchive::new(Cursor::new(bytes))
            .map(|z| z.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect())
            .unwrap_or_default();
        let has = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
        return Some(if has("word/document.xml") {
            Format::Docx
        } else if has("OFD.xml") {
            Format::Ofd
        } else if has("xl/workbook.xml") {
            Format::Xlsx
        } else {
            Format::Unsupported("zip")
        });
    }
    None
}

/// A compound file is what its streams say: Word's text stream, or a
/// workbook. WPS names its files `.wps` and `.et` but writes the same
/// formats, so the extension only tells the two apart. A file too broken
/// to list goes by its extension and fails when read, with the reason.
fn ole_format(bytes: &[u8], extension: &str) -> Format {
    let (word, workbook) = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(file) => (
            file.is_stream("WordDocument"),
            file.is_stream("Workbook") || file.is_stream("Book"),
        ),
        Err(_) => (!matches!(extension, "xls" | "et"), matches!(extension, "xls" | "et")),
    };
    match (word, workbook, extension) {
        (true, _, "wps") => Format::Wps,
        (true, _, _) => Format::Doc,
        (false, true, "et") => Format::Et,
        (false, true, _) => Format::Xls,
        (false, false, _) => Format::Unsupported("ole"),
    }
}

/// Reads an attachment of `format` to its text.
pub fn read(format: Format, bytes: &[u8]) -> Result<Content, AttachmentError> {
    let text = match format {
        Format::Pdf => return pdf_content(bytes),
        Format::Docx => docx_text(bytes),
        Format::Doc | Format::Wps => word::text(format.name(), bytes),
        Format::Ofd => ofd::text(bytes),
        Format::Xls | Format::Et => guarded(format.name(), || sheet::xls_text(format.name(), bytes)),
        Format::Xlsx => guarded("xlsx", || sheet::xlsx_text(bytes)),
        Format::Rtf => rtf_text(bytes),
        Format::Unsupported(name) => Err(AttachmentError::Unreadable {
            format: name,
            message: "this format is not read".into(),
        }),
    }?;
    Ok(Content::Text(text))
}

/// Runs a third-party reader that may panic on a malformed file instead
/// of failing: a panic there is a bad file, not a bug of ours to crash on.
fn guarded<T>(format: &'static str, read: impl FnOnce() -> Result<T, AttachmentError>) -> Result<T, AttachmentError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(AttachmentError::Unreadable {
            format,
            message: format!("the {format} reader gave up on this file"),
        })
    })
}

/// Refuses a zip that decompresses to more than `budget` bytes in all, by
/// decompressing it (each entry's declared size may lie).
fn zip_within_budget(bytes: &[u8], budget: u64) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut left = budget;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| e.to_string())?;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|e| e.to_string())?;
        left = left
            .checked_sub(read)
            .ok_or_else(|| format!("more than {budget} bytes once decompressed"))?;
    }
    Ok(())
}

fn rtf_text(bytes: &[u8]) -> Result<String, AttachmentError> {
    guarded("rtf", || {
        rtf_parser_tt::RtfDocument::from_bytes(bytes)
            .map(|doc| doc.get_text())
            .map_err(|e| AttachmentError::Unreadable {
                format: "rtf",
                message: e.to_string(),
            })
    })
}

/// A PDF's text; when it has none and its pages carry images, it is a scan.
fn pdf_content(bytes: &[u8]) -> Result<Content, AttachmentError> {
    let text = pdf_text(bytes)?;
    if text.chars().any(char::is_alphanumeric) {
        return Ok(Content::Text(text));
    }
    let scanned = guarded("pdf", || {
        let doc = lopdf::Document::load_mem(bytes).map_err(|e| AttachmentError::Unreadable {
            format: "pdf",
            message: e.to_string(),
        })?;
        Ok(doc
            .get_pages()
            .values()
            .any(|&page| doc.get_page_images(page).is_ok_and(|images| !images.is_empty())))
    })?;
    Ok(if scanned {
        Content::ImageOnly
    } else {
        Content::Text(text)
    })
}

fn pdf_text(bytes: &[u8]) -> Result<String, AttachmentError> {
    guarded("pdf", || {
        pdf_extract::extract_text_from_mem(bytes)
            .map(|text| join_broken_lines(&text))
            .map_err(|e| AttachmentError::Unreadable {
                format: "pdf",
                message: e.to_string(),
            })
    })
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
        // Too broken to list its streams: the extension decides, reading fails.
        assert_eq!(sniff(&ole, "/a/P0201.doc"), Some(Format::Doc));
        assert_eq!(sniff(&ole, "/a/P0201.WPS"), Some(Format::Wps));
        assert_eq!(sniff(&ole, "/a/P0201.et"), Some(Format::Et));
        assert!(read(Format::Doc, &ole).is_err());
        assert_eq!(sniff(b"{\\rtf1\\ansi", "/a/x"), Some(Format::Rtf));
        assert_eq!(
            sniff(b"<html><body>", "/a/x.pdf"),
            None,
            "an error page at a .pdf URL is HTML"
        );
        assert_eq!(
            sniff(b"PK\x03\x04 not really a zip", "/a/x.zip"),
            Some(Format::Unsupported("zip"))
        );
        assert!(read(Format::Pdf, b"%PDF-1.4 garbage").is_err());
        assert!(read(Format::Docx, b"PK\x03\x04 garbage").is_err());
        assert!(read(Format::Ofd, b"PK\x03\x04 garbage").is_err());
        assert!(read(Format::Xlsx, b"PK\x03\x04 garbage").is_err());
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
