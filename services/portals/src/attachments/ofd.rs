//! OFD packages (GB/T 33190) as document systems export them: one text
//! object per line, placed in millimetres on an A4 page. The first page
//! is set in two balanced columns under a centred title, its objects
//! written row by row across both columns, so only a reader that finds the
//! columns gets the order right; later pages are one column.

/// Character size (mm), line pitch, and the text block's edges on A4.
const SIZE: f64 = 5.0;
const PITCH: f64 = 7.0;
const LEFT: f64 = 20.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 280.0;
/// The gap between the first page's columns.
const GUTTER: f64 = 10.0;

/// A line of text at a place.
struct Line {
    x: f64,
    y: f64,
    text: String,
}

pub fn ofd(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let rows = ((BOTTOM - TOP) / PITCH) as usize;
    let column = (RIGHT - LEFT - GUTTER) / 2.0;
    let title_x = LEFT + ((RIGHT - LEFT) - SIZE * title.chars().count() as f64).max(0.0) / 2.0;
    let mut first = vec![Line {
        x: title_x,
        y: TOP - 2.0 * PITCH,
        text: title.to_string(),
    }];
    // Fill the first page's two columns with whole paragraphs.
    let narrow = wrap(paragraphs, (column / SIZE) as usize);
    let mut taken = 0;
    let mut used = 0;
    while taken < narrow.len() && used + narrow[taken].len() <= 2 * rows {
        used += narrow[taken].len();
        taken += 1;
    }
    // Balanced columns, as typesetters set them.
    let flowed: Vec<&String> = narrow[..taken].iter().flatten().collect();
    let depth = flowed.len().div_ceil(2);
    for row in 0..depth {
        for (col, x) in [(0, LEFT), (1, LEFT + column + GUTTER)] {
            if let Some(text) = flowed.get(col * depth + row) {
                let y = TOP + row as f64 * PITCH;
                first.push(Line {
                    x,
                    y,
                    text: (*text).clone(),
                });
            }
        }
    }
    let rest: Vec<String> = wrap(&paragraphs[taken..], ((RIGHT - LEFT) / SIZE) as usize)
        .into_iter()
        .flatten()
        .collect();
    let mut pages = vec![first];
    for chunk in rest.chunks(rows) {
        pages.push(
            chunk
                .iter()
                .enumerate()
                .map(|(row, text)| Line {
                    x: LEFT,
                    y: TOP + row as f64 * PITCH,
                    text: text.clone(),
                })
                .collect(),
        );
    }
    package(title, &pages)
}

/// Each paragraph cut into lines of at most `width` characters.
fn wrap(paragraphs: &[String], width: usize) -> Vec<Vec<String>> {
    paragraphs
        .iter()
        .map(|p| {
            let chars: Vec<char> = p.chars().collect();
            chars.chunks(width.max(1)).map(|c| c.iter().collect()).collect()
        })
        .collect()
}

fn package(title: &str, pages: &[Vec<Line>]) -> Vec<u8> {
    const NS: &str = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";
    let mut files: Vec<(String, String)> = vec![(
        "OFD.xml".into(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD {NS} Version=\"1.0\" DocType=\"OFD\"><ofd:DocBody>\
             <ofd:DocInfo><ofd:DocID>0</ofd:DocID><ofd:Title>{}</ofd:Title></ofd:DocInfo>\
             <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
            html_escape::encode_text(title)
        ),
    )];
    let page_list: String = (0..pages.len())
        .map(|i| format!("<ofd:Page ID=\"{}\" BaseLoc=\"Pages/Page_{i}/Content.xml\"/>", i + 1))
        .collect();
    files.push((
        "Doc_0/Document.xml".into(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Document {NS}><ofd:CommonData>\
             <ofd:MaxUnitID>9999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>\
             <ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
        ),
    ));
    files.push((
        "Doc_0/PublicRes.xml".into(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Res {NS} BaseLoc=\"Res\"><ofd:Fonts>\
             <ofd:Font ID=\"1\" FontName=\"宋体\" FamilyName=\"宋体\"/></ofd:Fonts></ofd:Res>"
        ),
    ));
    for (i, lines) in pages.iter().enumerate() {
        let objects: String = lines
            .iter()
            .enumerate()
            .map(|(n, l)| {
                let width = SIZE * l.text.chars().count() as f64;
                format!(
                    "<ofd:TextObject ID=\"{}\" Boundary=\"{} {} {width} {SIZE}\" Font=\"1\" Size=\"{SIZE}\">\
                     <ofd:TextCode X=\"0\" Y=\"{}\">{}</ofd:TextCode></ofd:TextObject>",
                    n + 10,
                    l.x,
                    l.y - SIZE,
                    SIZE * 0.9,
                    html_escape::encode_text(&l.text)
                )
            })
            .collect();
        files.push((
            format!("Doc_0/Pages/Page_{i}/Content.xml"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page {NS}><ofd:Content>\
                 <ofd:Layer ID=\"2\">{objects}</ofd:Layer></ofd:Content></ofd:Page>"
            ),
        ));
    }
    super::zip_of(&files)
}
