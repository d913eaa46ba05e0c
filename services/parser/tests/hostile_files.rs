//! Hostile attachments end in bounded time and memory, with a reason when
//! they cannot be read: decompression bombs, sheets spanning the whole
//! grid, piece tables that repeat the text, pages of a hundred thousand
//! text objects, groups nested a hundred thousand deep. Alone in its test
//! binary, so the peak memory read from /proc is these files'.

use std::io::Write;
use std::time::Instant;

use townreports_parser::attachment::{self, Content};

/// The process's peak resident memory so far, in MB.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

/// A part of a zip: its name, then its bytes as a head, a chunk repeated
/// `n` times (written chunk by chunk, so a bomb never sits in memory
/// here) and a tail.
type Part<'a> = (&'a str, &'a [u8], &'a [u8], usize, &'a [u8]);

fn zip_of(parts: &[Part]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, head, chunk, n, tail) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(head).unwrap();
        for _ in 0..*n {
            zip.write_all(chunk).unwrap();
        }
        zip.write_all(tail).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn whole<'a>(name: &'a str, content: &'a [u8]) -> Part<'a> {
    (name, content, b"", 0, b"")
}

fn compound_file(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        file.create_stream(name).unwrap().write_all(data).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

const OFD_ROOT: &str = "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>";
const OFD_DOC: &str = "<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Pages><ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages></ofd:Document>";

fn ofd_with_page(page: Part) -> Vec<u8> {
    zip_of(&[
        whole("OFD.xml", OFD_ROOT.as_bytes()),
        whole("Doc_0/Document.xml", OFD_DOC.as_bytes()),
        page,
    ])
}

const PAGE: &str = "Doc_0/Pages/Page_0/Content.xml";
const MB: usize = 1 << 20;

/// A Word file whose piece table names `pieces` pieces, every one the
/// same `run` of UTF-16 text.
fn word_repeating(run: &str, pieces: u32) -> Vec<u8> {
    let mut stream = vec![0u8; 0x400];
    stream.extend(run.encode_utf16().flat_map(u16::to_le_bytes));
    let chars = run.encode_utf16().count() as u32;
    let mut plc: Vec<u8> = (0..=pieces).flat_map(|i| (i * chars).to_le_bytes()).collect();
    for _ in 0..pieces {
        plc.extend_from_slice(&[0, 0]);
        plc.extend_from_slice(&0x400u32.to_le_bytes());
        plc.extend_from_slice(&[0, 0]);
    }
    let mut clx = vec![0x02];
    clx.extend_from_slice(&(plc.len() as u32).to_le_bytes());
    clx.extend_from_slice(&plc);
    let put = |s: &mut Vec<u8>, at: usize, v: &[u8]| s[at..at + v.len()].copy_from_slice(v);
    put(&mut stream, 0, &0xA5ECu16.to_le_bytes());
    put(&mut stream, 2, &0x00C1u16.to_le_bytes());
    put(&mut stream, 0x0A, &0x0200u16.to_le_bytes());
    put(&mut stream, 0x20, &14u16.to_le_bytes());
    put(&mut stream, 0x3E, &22u16.to_le_bytes());
    put(&mut stream, 0x4C, &(pieces * chars).to_le_bytes());
    put(&mut stream, 0x98, &93u16.to_le_bytes());
    put(&mut stream, 0x9A + 33 * 8 + 4, &(clx.len() as u32).to_le_bytes());
    compound_file(&[("/WordDocument", &stream), ("/1Table", &clx)])
}

/// A BIFF record.
fn record(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut r = kind.to_le_bytes().to_vec();
    r.extend_from_slice(&(data.len() as u16).to_le_bytes());
    r.extend_from_slice(data);
    r
}

fn number_cell(row: u16, col: u16) -> Vec<u8> {
    let mut data = row.to_le_bytes().to_vec();
    data.extend_from_slice(&col.to_le_bytes());
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&1.0f64.to_le_bytes());
    record(0x0203, &data)
}

const XLSX_ROOT: &[(&str, &str)] = &[
    (
        "_rels/.rels",
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>",
    ),
    (
        "[Content_Types].xml",
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>",
    ),
    (
        "xl/workbook.xml",
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    ),
    (
        "xl/_rels/workbook.xml.rels",
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>",
    ),
];

fn xlsx_with(extra: &[Part]) -> Vec<u8> {
    let mut parts: Vec<Part> = XLSX_ROOT.iter().map(|(n, c)| whole(n, c.as_bytes())).collect();
    parts.extend_from_slice(extra);
    zip_of(&parts)
}

/// Reads `bytes` as the portal path `name` would be, prints the time and
/// peak memory, and gives what reading said.
fn read(label: &str, name: &str, bytes: &[u8]) -> Result<Content, String> {
    let started = Instant::now();
    let format = attachment::sniff(bytes, name).unwrap_or_else(|| panic!("{label}: not recognised"));
    let result = attachment::read(format, bytes).map_err(|e| e.to_string());
    let outcome = match &result {
        Ok(Content::Text(t)) => format!("{} bytes of text", t.len()),
        Ok(Content::ImageOnly) => "image-only".into(),
        Err(e) => e.clone(),
    };
    eprintln!(
        "hostile file: {label} ({} KB): {outcome} in {:.2?}, peak memory so far {} MB",
        bytes.len() / 1024,
        started.elapsed(),
        peak_mb()
    );
    result
}

#[test]
fn hostile_files_end_in_bounded_time_and_memory() {
    // A page of 100 MB of blanks, deflated to a fraction of a megabyte.
    let bomb = ofd_with_page((PAGE, b"<ofd:Page>", &[b' '; MB], 100, b"</ofd:Page>"));
    let err = read("OFD decompression bomb, 100 MB page", "/a.ofd", &bomb).unwrap_err();
    assert!(err.contains("more than"), "{err}");

    let objects: String = (0..100_000)
        .map(|i| {
            format!(
                "<ofd:TextObject Boundary=\"{} {} 5 5\"><ofd:TextCode X=\"0\" Y=\"4\">字</ofd:TextCode></ofd:TextObject>",
                (i % 37) * 5,
                i / 37
            )
        })
        .collect();
    let page = format!(
        "<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Content><ofd:Layer>{objects}</ofd:Layer></ofd:Content></ofd:Page>"
    );
    let Ok(Content::Text(text)) = read(
        "OFD page of 100,000 text objects",
        "/b.ofd",
        &ofd_with_page(whole(PAGE, page.as_bytes())),
    ) else {
        panic!("a big page is still read")
    };
    assert_eq!(text.chars().filter(|c| *c == '字').count(), 100_000);

    let repeated = word_repeating(&"重复的正文。".repeat(10_000), 2_000);
    let err = read("DOC of 2,000 pieces repeating 120 KB of text", "/c.doc", &repeated).unwrap_err();
    assert!(err.contains("more text than any report has"), "{err}");

    let mut sheet = record(0x0809, &[0; 16]);
    sheet.extend(number_cell(0, 0));
    sheet.extend(number_cell(65_535, 255));
    let grid = compound_file(&[("/Workbook", &sheet)]);
    let err = read("XLS with cells at A1 and IV65536", "/d.xls", &grid).unwrap_err();
    assert!(err.contains("spanning"), "{err}");

    let mut declared = record(0x0809, &[0; 16]);
    let mut dims = 0u32.to_le_bytes().to_vec();
    dims.extend_from_slice(&u32::MAX.to_le_bytes());
    dims.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
    declared.extend(record(0x0200, &dims));
    let grid = compound_file(&[("/Workbook", &declared)]);
    let err = read("XLS declaring 4 G rows × 256 columns", "/d.et", &grid).unwrap_err();
    assert!(err.contains("dimensions spanning"), "{err}");

    let corners = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
        <row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"1048576\"><c r=\"XFD1048576\"><v>2</v></c></row></sheetData></worksheet>";
    let Ok(Content::Text(text)) = read(
        "XLSX with cells at A1 and XFD1048576",
        "/e.xlsx",
        &xlsx_with(&[whole("xl/worksheets/sheet1.xml", corners.as_bytes())]),
    ) else {
        panic!("two cells are read")
    };
    assert_eq!(text, "1\n2\n");

    let strings: Part = (
        "xl/sharedStrings.xml",
        b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>",
        &[b' '; MB],
        100,
        b"</t></si></sst>",
    );
    let err = read("XLSX shared strings bomb, 100 MB", "/f.xlsx", &xlsx_with(&[strings])).unwrap_err();
    assert!(err.contains("decompressed"), "{err}");

    let nested = format!("{{\\rtf1\\ansi{}正文{}}}", "{".repeat(100_000), "}".repeat(100_000));
    let result = read("RTF nested 100,000 groups deep", "/g.rtf", nested.as_bytes());
    assert!(result.is_err() || matches!(result, Ok(Content::Text(_))));

    assert!(peak_mb() < 1024, "peak memory {} MB", peak_mb());
}
