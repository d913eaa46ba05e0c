//! OFD (GB/T 33190), China's format for official electronic documents: a
//! zip whose `OFD.xml` names each document's `Document.xml`, which lists
//! the pages, whose `Content.xml` places text objects at coordinates.
//!
//! Nothing stores the reading order, so it is rebuilt from the positions:
//! text codes on the same baseline make a line, lines run top to bottom
//! (a full line's paragraph going on in the next), and a page in two
//! columns (an x that only a few blocks cross) is read column by column
//! between the blocks (titles, footers) that cross it.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{AttachmentError, MAX_TEXT_BYTES};

/// Pages read from one file: a report is tens of pages, a bomb millions.
const MAX_PAGES: usize = 2_000;
/// Text codes whose baselines differ by less than this (mm) share a line.
const LINE_TOLERANCE: f64 = 1.5;
/// A line ending this close (mm) to its column's right edge is full: its
/// paragraph goes on in the next line.
const RIGHT_EDGE: f64 = 4.0;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The text of every page of every document of an OFD package.
pub fn text(bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable { format: "ofd", message };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut budget = MAX_TEXT_BYTES;
    let root = entry(&mut zip, "OFD.xml", &mut budget).map_err(unreadable)?;
    let mut paragraphs = Paragraphs::default();
    for doc_root in element_texts(&root, "DocRoot").map_err(unreadable)? {
        let doc_path = resolve("", &doc_root);
        let document = entry(&mut zip, &doc_path, &mut budget).map_err(unreadable)?;
        let dir = doc_path.rsplit_once('/').map_or("", |(d, _)| d);
        let pages = page_locations(&document).map_err(unreadable)?;
        if pages.len() > MAX_PAGES {
            return Err(unreadable(format!("{} pages", pages.len())));
        }
        for page in pages {
            let content = entry(&mut zip, &resolve(dir, &page), &mut budget).map_err(unreadable)?;
            let fragments = fragments(&content).map_err(unreadable)?;
            paragraphs.page(fragments);
        }
    }
    Ok(paragraphs.out.join("\n"))
}

/// An entry's text; `budget` is what may still be decompressed, so a zip
/// bomb stops at the limit however it is split.
fn entry(zip: &mut Archive, name: &str, budget: &mut u64) -> Result<String, String> {
    let file = zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
    let mut text = String::new();
    file.take(*budget + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{name}: {e}"))?;
    *budget = budget
        .checked_sub(text.len() as u64)
        .ok_or_else(|| format!("{name}: more than {MAX_TEXT_BYTES} bytes of XML"))?;
    Ok(text)
}

/// A location inside the package: absolute from its root when it starts
/// with `/`, else relative to `dir`.
fn resolve(dir: &str, location: &str) -> String {
    let location = location.trim();
    let joined = match location.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None if dir.is_empty() => location.to_string(),
        None => format!("{dir}/{location}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Whether the element is `name` whatever its namespace prefix
/// (`ofd:Page` is `Page`).
fn is(e: &BytesStart, name: &str) -> bool {
    e.local_name().as_ref() == name
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// The text of every element named `name` (its local name).
fn element_texts(xml: &str, name: &str) -> Result<Vec<String>, String> {
    let mut reader = Reader::from_str(xml);
    let mut found = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => inside = is(&e, name),
            Event::Text(t) if inside => found.push(t.into_inner().into_owned()),
            Event::End(_) => inside = false,
            Event::Eof => return Ok(found),
            _ => {}
        }
    }
}

/// The `BaseLoc` of each `Page` of a `Document.xml`, in page order.
fn page_locations(document: &str) -> Result<Vec<String>, String> {
    let mut reader = Reader::from_str(document);
    let mut pages = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if is(&e, "Page") => pages.extend(attr(&e, "BaseLoc")),
            Event::Eof => return Ok(pages),
            _ => {}
        }
    }
}

/// One `TextCode`: its text at the baseline point (x, y), within its text
/// object's horizontal extent.
#[derive(Debug, Clone, PartialEq)]
struct Fragment {
    x: f64,
    y: f64,
    left: f64,
    right: f64,
    text: String,
}

/// `Boundary="x y w h"`; a missing or broken one is the origin.
fn boundary(e: &BytesStart) -> [f64; 4] {
    let mut b = [0.0; 4];
    if let Some(value) = attr(e, "Boundary") {
        for (slot, n) in b.iter_mut().zip(value.split_whitespace()) {
            *slot = n.parse::<f64>().ok().filter(|v| v.is_finite()).unwrap_or(0.0);
        }
    }
    b
}

fn coordinate(e: &BytesStart, name: &str) -> f64 {
    attr(e, name)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// The text codes of a page's `Content.xml`, positioned on the page.
fn fragments(content: &str) -> Result<Vec<Fragment>, String> {
    let mut reader = Reader::from_str(content);
    let mut out: Vec<Fragment> = Vec::new();
    let mut object = [0.0; 4];
    let mut code: Option<Fragment> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) if is(&e, "TextObject") => object = boundary(&e),
            Event::Start(e) if is(&e, "TextCode") => {
                code = Some(Fragment {
                    x: object[0] + coordinate(&e, "X"),
                    y: object[1] + coordinate(&e, "Y"),
                    left: object[0],
                    right: object[0] + object[2].max(0.0),
                    text: String::new(),
                })
            }
            Event::Text(t) => {
                if let Some(code) = code.as_mut() {
                    code.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(code) = code.as_mut() {
                    let entity = format!("&{};", &*r);
                    code.text
                        .push_str(&quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "TextCode" => out.extend(code.take()),
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Paragraphs in reading order, built page by page: a paragraph runs on
/// from one column or page into the next.
#[derive(Default)]
struct Paragraphs {
    out: Vec<String>,
    /// Whether the last line ran to its column's edge mid-sentence.
    open: bool,
}

impl Paragraphs {
    /// Adds a page (see the module doc).
    fn page(&mut self, mut fragments: Vec<Fragment>) {
        fragments.retain(|f| !f.text.trim().is_empty());
        fragments.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let page_edge = right_edge(fragments.iter());
        let Some(gutter) = gutter(&fragments) else {
            return self.column(&fragments, page_edge);
        };
        let left_edge = right_edge(fragments.iter().filter(|f| f.right <= gutter));
        let mut band: Vec<Fragment> = Vec::new();
        for f in fragments {
            if f.left < gutter && f.right > gutter {
                self.band(&mut band, gutter, left_edge, page_edge);
                self.column(std::slice::from_ref(&f), page_edge);
            } else {
                band.push(f);
            }
        }
        self.band(&mut band, gutter, left_edge, page_edge);
    }

    /// Two columns' worth of fragments: the left column, then the right.
    fn band(&mut self, band: &mut Vec<Fragment>, gutter: f64, left_edge: f64, right_edge: f64) {
        let (left, right): (Vec<Fragment>, Vec<Fragment>) = band.drain(..).partition(|f| f.right <= gutter);
        self.column(&left, left_edge);
        self.column(&right, right_edge);
    }

    /// Fragments of one column, sorted top to bottom: a line is its
    /// fragments left to right, and a line that runs to the column's right
    /// `edge` without ending a sentence goes on in the next.
    fn column(&mut self, fragments: &[Fragment], edge: f64) {
        let mut line: Vec<&Fragment> = Vec::new();
        for f in fragments {
            if line.first().is_some_and(|first| (f.y - first.y).abs() > LINE_TOLERANCE) {
                self.line(&mut line, edge);
            }
            line.push(f);
        }
        if !line.is_empty() {
            self.line(&mut line, edge);
        }
    }

    fn line(&mut self, line: &mut Vec<&Fragment>, edge: f64) {
        let right = right_edge(line.iter().copied());
        let text = render(line);
        match self.out.last_mut() {
            Some(last) if self.open => last.push_str(&text),
            _ => self.out.push(text.clone()),
        }
        self.open = right >= edge - RIGHT_EDGE && !text.ends_with(|c: char| "。！？；：:;!?”」）)".contains(c));
    }
}

/// The rightmost extent of `fragments`.
fn right_edge<'a>(fragments: impl Iterator<Item = &'a Fragment>) -> f64 {
    fragments.map(|f| f.right).fold(f64::NEG_INFINITY, f64::max)
}

fn render(line: &mut Vec<&Fragment>) -> String {
    line.sort_by(|a, b| a.x.total_cmp(&b.x));
    line.drain(..).map(|f| f.text.as_str()).collect()
}

/// The x between two columns: the right edge of a left column such that
/// at least two fragments lie wholly on each side and at most a third of
/// them (titles, footers) cross it, the fewest crossing; only in the
/// middle half of the text. `None`: one column (nearly every line of a
/// one-column page crosses the middle).
fn gutter(fragments: &[Fragment]) -> Option<f64> {
    let n = fragments.len();
    let left = fragments.iter().map(|f| f.left).reduce(f64::min)?;
    let right = right_edge(fragments.iter());
    let quarter = (right - left) / 4.0;
    let mut lefts: Vec<f64> = fragments.iter().map(|f| f.left).collect();
    let mut rights: Vec<f64> = fragments.iter().map(|f| f.right).collect();
    lefts.sort_by(f64::total_cmp);
    rights.sort_by(f64::total_cmp);
    let mut best: Option<(usize, f64)> = None;
    for &x in rights.iter().filter(|&&x| x > left + quarter && x < right - quarter) {
        // Sorted edges count each side in O(log n), keeping this linear-ish
        // on a page of a hundred thousand fragments.
        let wholly_left = rights.partition_point(|&r| r <= x);
        let starting_left = lefts.partition_point(|&l| l < x);
        let crossing = starting_left - wholly_left.min(starting_left);
        let wholly_right = n - starting_left;
        if wholly_left >= 2 && wholly_right >= 2 && crossing * 3 <= n && best.is_none_or(|(c, _)| crossing < c) {
            best = Some((crossing, x));
        }
    }
    best.map(|(_, x)| x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64, left: f64, right: f64, text: &str) -> Fragment {
        Fragment {
            x,
            y,
            left,
            right,
            text: text.into(),
        }
    }

    fn reading_order(fragments: Vec<Fragment>) -> Vec<String> {
        let mut paragraphs = Paragraphs::default();
        paragraphs.page(fragments);
        paragraphs.out
    }

    #[test]
    fn two_columns_read_down_each_between_full_width_blocks() {
        let page = vec![
            at(60.0, 20.0, 60.0, 140.0, "标题"),
            at(20.0, 40.0, 20.0, 95.0, "左一"),
            at(110.0, 40.0, 110.0, 190.0, "右一。"),
            at(20.0, 50.0, 20.0, 80.0, "左二"),
            at(110.0, 50.0, 110.0, 150.0, "右二"),
            at(20.0, 280.0, 20.0, 190.0, "页脚"),
        ];
        assert_eq!(reading_order(page), ["标题", "左一左二", "右一。", "右二", "页脚"]);
    }

    #[test]
    fn one_column_reads_by_line_then_x_and_full_lines_go_on() {
        let page = vec![
            at(40.0, 30.3, 20.0, 190.0, "后半"),
            at(20.0, 30.0, 20.0, 190.0, "前半"),
            at(20.0, 40.0, 20.0, 120.0, "下一行"),
            at(20.0, 50.0, 20.0, 190.0, "新段"),
        ];
        assert_eq!(reading_order(page), ["前半后半下一行", "新段"]);
    }

    #[test]
    fn locations_resolve_inside_the_package() {
        assert_eq!(
            resolve("Doc_0", "Pages/Page_0/Content.xml"),
            "Doc_0/Pages/Page_0/Content.xml"
        );
        assert_eq!(resolve("Doc_0", "/Doc_0/./Pages/../Res.xml"), "Doc_0/Res.xml");
        assert_eq!(resolve("", " Doc_0/Document.xml "), "Doc_0/Document.xml");
    }
}
