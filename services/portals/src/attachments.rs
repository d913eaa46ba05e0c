//! Documents as the files portals attach, in every format townships
//! publish: PDF (text drawn a line at a time, as word processors export
//! it, or a scanned page with no text at all), DOCX, Word 97-2003 binary
//! (fast-saved, its pieces out of order), WPS (GBK text), OFD (a
//! two-column first page), an XLSX table and RTF. Built here rather than
//! stored, so every fixture text can be served as any of them; the
//! parser's tests keep generated copies (`services/parser/tests/files`).

mod ofd;
mod sheet;
mod word;

use std::io::Write;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document as Pdf, Object, ObjectId, Stream, dictionary};

pub use ofd::ofd;
pub use sheet::{Indicator, xls, xlsx};
pub use word::{doc, wps};

/// Characters per PDF line and lines per page, like an A4 page of 五号 text.
const LINE_CHARS: usize = 34;
const PAGE_LINES: usize = 40;

/// A PDF whose text is `paragraphs`, drawn in a CID font whose codes are
/// the characters' Unicode values, with the ToUnicode map text extraction
/// reads. The font is not embedded (viewers substitute 宋体), as many
/// government PDFs do.
pub fn pdf(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let mut doc = Pdf::with_version("1.7");
    let pages_id = doc.new_object_id();
    let to_unicode = doc.add_object(Stream::new(dictionary! {}, identity_to_unicode().into_bytes()));
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => "STSong-Light",
        "Flags" => 6,
        "FontBBox" => vec![(-25).into(), (-254).into(), 1000.into(), 880.into()],
        "ItalicAngle" => 0,
        "Ascent" => 880,
        "Descent" => -120,
        "CapHeight" => 880,
        "StemV" => 93,
    });
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType0",
        "BaseFont" => "STSong-Light",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => 1000,
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "STSong-Light",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_font.into()],
        "ToUnicode" => to_unicode,
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });

    let mut lines = vec![title.to_string(), String::new()];
    for paragraph in paragraphs {
        let chars: Vec<char> = paragraph.chars().collect();
        lines.extend(chars.chunks(LINE_CHARS).map(|c| c.iter().collect::<String>()));
        lines.push(String::new());
    }
    let mut kids = Vec::new();
    for page_lines in lines.chunks(PAGE_LINES) {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("TL", vec![18.into()]),
            Operation::new("Td", vec![50.into(), 790.into()]),
        ];
        for line in page_lines {
            operations.push(Operation::new(
                "Tj",
                vec![Object::String(utf16_codes(line), lopdf::StringFormat::Hexadecimal)],
            ));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode().unwrap_or_default();
        kids.push(a4_page(&mut doc, pages_id, content, resources));
    }
    let mut info = Dictionary::new();
    info.set("Title", Object::string_literal(title.as_bytes().to_vec()));
    let info_id = doc.add_object(info);
    doc.trailer.set("Info", info_id);
    finish(doc, pages_id, kids)
}

/// An A4 page under `pages_id` drawing `content` with `resources`.
fn a4_page(doc: &mut Pdf, pages_id: ObjectId, content: Vec<u8>, resources: ObjectId) -> Object {
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    })
    .into()
}

/// The page tree over `kids` and the catalog; the file's bytes.
fn finish(mut doc: Pdf, pages_id: ObjectId, kids: Vec<Object>) -> Vec<u8> {
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = doc.save_to(&mut out);
    out
}

/// Big-endian 2-byte codes; characters beyond the BMP become a space.
fn utf16_codes(line: &str) -> Vec<u8> {
    line.chars()
        .flat_map(|c| {
            let code = u16::try_from(u32::from(c)).unwrap_or(0x20);
            code.to_be_bytes()
        })
        .collect()
}

/// A ToUnicode CMap mapping every 2-byte code to the same Unicode value,
/// in ranges that keep their high byte (as the CMap format requires).
fn identity_to_unicode() -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let highs: Vec<u32> = (0..=0xFF).collect();
    for block in highs.chunks(100) {
        cmap.push_str(&format!("{} beginbfrange\n", block.len()));
        for high in block {
            cmap.push_str(&format!("<{high:02X}00> <{high:02X}FF> <{high:02X}00>\n"));
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}

/// A DOCX with the title and one paragraph per entry.
pub fn docx(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let mut body = String::new();
    for text in std::iter::once(title).chain(paragraphs.iter().map(String::as_str)) {
        let escaped = html_escape::encode_text(text);
        body.push_str(&format!(
            "<w:p><w:r><w:t xml:space=\"preserve\">{escaped}</w:t></w:r></w:p>"
        ));
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let files: Vec<(String, String)> = vec![
        (
            "[Content_Types].xml".into(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"
                .into(),
        ),
        (
            "_rels/.rels".into(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>"
                .into(),
        ),
        ("word/document.xml".into(), document),
    ];
    zip_of(&files)
}

/// `files` (name, content) zipped, deflated, in memory.
fn zip_of(files: &[(String, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        // Writing to memory cannot fail.
        let _ = zip.start_file(name.as_str(), options);
        let _ = zip.write_all(content.as_bytes());
    }
    zip.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// A scanned report: each page one grey image and no text layer, as a
/// scanner's PDF is.
pub fn scanned_pdf(pages: usize) -> Vec<u8> {
    let mut doc = Pdf::with_version("1.4");
    let pages_id = doc.new_object_id();
    let (width, height) = (16i64, 22i64);
    let mut kids = Vec::new();
    for page in 0..pages {
        let pixels: Vec<u8> = (0..width * height)
            .map(|i| ((i as usize * 7 + page * 13) % 256) as u8)
            .collect();
        let image = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => width,
                "Height" => height,
                "ColorSpace" => "DeviceGray",
                "BitsPerComponent" => 8,
            },
            pixels,
        ));
        let resources = doc.add_object(dictionary! { "XObject" => dictionary! { "Im1" => image } });
        let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q".to_vec();
        kids.push(a4_page(&mut doc, pages_id, content, resources));
    }
    finish(doc, pages_id, kids)
}

/// An RTF file in code page 936 as Chinese word processors save it: the
/// title and odd paragraphs as GBK bytes (`\'hh`), even ones as Unicode
/// escapes (`\uN`) with a `?` fallback.
pub fn rtf(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let mut out = String::from(
        "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 \\'cb\\'ce\\'cc\\'e5;}}\n\\uc1\\f0\\fs24 ",
    );
    for (i, p) in std::iter::once(title)
        .chain(paragraphs.iter().map(String::as_str))
        .enumerate()
    {
        for c in p.chars() {
            match c {
                '\\' | '{' | '}' => {
                    out.push('\\');
                    out.push(c);
                }
                c if c.is_ascii() => out.push(c),
                c if i % 2 == 1 => out.push_str(&format!("\\u{}?", c as u32 as i16)),
                c => {
                    for b in encoding_rs::GBK.encode(&c.to_string()).0.iter() {
                        out.push_str(&format!("\\'{b:02x}"));
                    }
                }
            }
        }
        out.push_str("\\par\n");
    }
    out.push('}');
    out.into_bytes()
}

/// A file as far as its first bytes go: the OLE compound file signature
/// and nothing a reader could use.
pub fn legacy_doc() -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(4096, 0);
    bytes
}
