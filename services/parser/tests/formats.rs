//! Every attachment format townships publish, read back to its text: the
//! files in `tests/files`, made by the portals' builders (run with
//! `REGENERATE_FIXTURES=1` to write them again), and the builders' output
//! itself, so the committed files and the portals cannot drift apart.

use std::path::PathBuf;

use townreports_parser::attachment::{self, Content, Format};
use townreports_portals::attachments;

const TITLE: &str = "某某镇2023年工作总结和2024年工作计划";

fn paragraphs() -> Vec<String> {
    vec![
        "2023年，在县委、县政府的坚强领导下，我镇紧紧围绕年初确定的目标任务，扎实推进各项工作，全镇经济社会保持平稳健康发展。".into(),
        "全年实现地区生产总值12.56亿元，同比增长6.2%；一般公共预算收入3260万元。粮食播种面积5.3万亩，总产量2.1万吨。".into(),
        "二、2024年工作计划".into(),
        "力争地区生产总值增长6.5%，新建高标准农田1.2万亩，完成农村户厕改造500户（GDP目标：6.5%）。".into(),
    ]
}

const INDICATORS: &[attachments::Indicator] = &[("地区生产总值", "亿元", 12.56, 6.2)];

fn files() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/files")
}

/// Each fixture: its file name and how the portals build it.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let p = paragraphs();
    vec![
        ("fast-saved.doc", attachments::doc(TITLE, &p)),
        ("gbk.wps", attachments::wps(TITLE, &p)),
        ("two-columns.ofd", attachments::ofd(TITLE, &p)),
        ("indicators.xlsx", attachments::xlsx(TITLE, &p, INDICATORS)),
        ("indicators.xls", attachments::xls(TITLE, &p, INDICATORS)),
        ("indicators.et", attachments::xls(TITLE, &p, INDICATORS)),
        ("gbk-and-unicode.rtf", attachments::rtf(TITLE, &p)),
        ("scanned.pdf", attachments::scanned_pdf(3)),
    ]
}

/// The committed file, written first from its builder when asked to
/// regenerate.
fn committed(name: &str) -> Vec<u8> {
    let path = files().join(name);
    if std::env::var_os("REGENERATE_FIXTURES").is_some() {
        let (_, built) = fixtures().into_iter().find(|(n, _)| *n == name).unwrap();
        std::fs::create_dir_all(files()).unwrap();
        std::fs::write(&path, built).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (REGENERATE_FIXTURES=1 writes it)", path.display()))
}

fn text_of(name: &str, bytes: &[u8]) -> (Format, String) {
    let format = attachment::sniff(bytes, name).unwrap_or_else(|| panic!("{name} not recognised"));
    match attachment::read(format, bytes) {
        Ok(Content::Text(text)) => (format, text),
        other => panic!("{name}: {other:?}"),
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn committed_files_and_the_builders_read_to_the_same_text() {
    for (name, built) in fixtures() {
        let file = committed(name);
        if name == "scanned.pdf" {
            continue;
        }
        assert_eq!(text_of(name, &file), text_of(name, &built), "{name}");
    }
}

#[test]
fn word_and_wps_files_read_their_pieces_in_order() {
    let expected: Vec<String> = std::iter::once(TITLE.to_string()).chain(paragraphs()).collect();
    for (name, format) in [("fast-saved.doc", Format::Doc), ("gbk.wps", Format::Wps)] {
        let bytes = committed(name);
        let (found, text) = text_of(name, &bytes);
        assert_eq!(found, format);
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{name}");
    }
}

#[test]
fn a_two_column_ofd_page_reads_column_by_column() {
    let bytes = committed("two-columns.ofd");
    let (format, text) = text_of("two-columns.ofd", &bytes);
    assert_eq!(format, Format::Ofd);
    let expected: Vec<String> = std::iter::once(TITLE.to_string()).chain(paragraphs()).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn spreadsheets_read_as_rows_of_cells() {
    for (name, format) in [
        ("indicators.xlsx", Format::Xlsx),
        ("indicators.xls", Format::Xls),
        ("indicators.et", Format::Et),
    ] {
        let bytes = committed(name);
        let (found, text) = text_of(name, &bytes);
        assert_eq!(found, format);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], TITLE, "{name}");
        assert_eq!(lines[1], "序号\t工作任务", "{name}");
        assert_eq!(lines[2], format!("1\t{}", paragraphs()[0]), "{name}");
        assert_eq!(lines.last().unwrap(), &"地区生产总值\t亿元\t12.56\t6.2", "{name}");
    }
}

#[test]
fn rtf_reads_gbk_bytes_and_unicode_escapes() {
    let bytes = committed("gbk-and-unicode.rtf");
    let (format, text) = text_of("gbk-and-unicode.rtf", &bytes);
    assert_eq!(format, Format::Rtf);
    for p in std::iter::once(TITLE.to_string()).chain(paragraphs()) {
        assert!(squash(&text).contains(&squash(&p)), "{p} missing from {text}");
    }
}

#[test]
fn a_scanned_pdf_is_image_only() {
    let bytes = committed("scanned.pdf");
    assert_eq!(attachment::sniff(&bytes, "/x.pdf"), Some(Format::Pdf));
    assert_eq!(attachment::read(Format::Pdf, &bytes).unwrap(), Content::ImageOnly);
    // A PDF with text is never image-only.
    let text = attachments::pdf(TITLE, &paragraphs());
    assert!(matches!(attachment::read(Format::Pdf, &text), Ok(Content::Text(_))));
}

#[test]
fn a_long_ofd_reads_across_columns_and_pages() {
    let long: Vec<String> = (0..12).flat_map(|_| paragraphs()).collect();
    let bytes = attachments::ofd(TITLE, &long);
    let (_, text) = text_of("long.ofd", &bytes);
    let expected: Vec<String> = std::iter::once(TITLE.to_string()).chain(long).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
}
