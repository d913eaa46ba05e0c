//! An XLSX workbook as townships publish a plan: its title in the first
//! row, then one numbered task a row, then a table of indicators with
//! numeric cells.

/// The indicators table: name, unit, value, growth (%).
pub type Indicator = (&'static str, &'static str, f64, f64);

pub fn xlsx(title: &str, paragraphs: &[String], indicators: &[Indicator]) -> Vec<u8> {
    let mut rows: Vec<Vec<Cell>> = vec![
        vec![Cell::Text(title.into())],
        vec![Cell::Text("序号".into()), Cell::Text("工作任务".into())],
    ];
    for (i, p) in paragraphs.iter().enumerate() {
        rows.push(vec![Cell::Number(i as f64 + 1.0), Cell::Text(p.clone())]);
    }
    if !indicators.is_empty() {
        rows.push(
            ["指标", "单位", "数值", "增长（%）"]
                .into_iter()
                .map(|h| Cell::Text(h.into()))
                .collect(),
        );
        for (name, unit, value, growth) in indicators {
            rows.push(vec![
                Cell::Text((*name).into()),
                Cell::Text((*unit).into()),
                Cell::Number(*value),
                Cell::Number(*growth),
            ]);
        }
    }
    let sheet_rows: String = rows
        .iter()
        .enumerate()
        .map(|(r, cells)| {
            let cells: String = cells
                .iter()
                .enumerate()
                .map(|(c, cell)| cell.xml(&format!("{}{}", column(c), r + 1)))
                .collect();
            format!("<row r=\"{}\">{cells}</row>", r + 1)
        })
        .collect();
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let files: Vec<(String, String)> = vec![
        (
            "[Content_Types].xml".into(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>"
                .into(),
        ),
        (
            "_rels/.rels".into(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{MAIN}\" xmlns:r=\"{REL}\">\
                 <sheets><sheet name=\"工作要点\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/worksheets/sheet1.xml".into(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{MAIN}\"><sheetData>{sheet_rows}</sheetData></worksheet>"
            ),
        ),
    ];
    super::zip_of(&files)
}

enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    fn xml(&self, at: &str) -> String {
        match self {
            Cell::Text(t) => format!(
                "<c r=\"{at}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                html_escape::encode_text(t)
            ),
            Cell::Number(n) => format!("<c r=\"{at}\"><v>{n}</v></c>"),
        }
    }
}

/// `A`, `B`, … for the first 26 columns (all a plan needs).
fn column(i: usize) -> char {
    char::from(b'A' + (i % 26) as u8)
}
