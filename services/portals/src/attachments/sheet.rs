//! A workbook as townships publish a plan, as XLSX or as XLS (BIFF8, which
//! WPS also writes as `.et`): its title in the first row, then one
//! numbered task a row, then a table of indicators with numeric cells.

/// The indicators table: name, unit, value, growth (%).
pub type Indicator = (&'static str, &'static str, f64, f64);

fn rows(title: &str, paragraphs: &[String], indicators: &[Indicator]) -> Vec<Vec<Cell>> {
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
    rows
}

/// A BIFF8 workbook in a compound file: the globals (BOF, code page
/// UTF-16, one BoundSheet8 pointing at the sheet), then the sheet (BOF,
/// Dimensions, a Label or Number record per cell, EOF).
pub fn xls(title: &str, paragraphs: &[String], indicators: &[Indicator]) -> Vec<u8> {
    let rows = rows(title, paragraphs, indicators);
    let record = |kind: u16, data: &[u8]| -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    };
    let bof = |dt: u16| {
        let mut data = vec![0x00, 0x06];
        data.extend_from_slice(&dt.to_le_bytes());
        data.extend_from_slice(&[0; 12]);
        record(0x0809, &data)
    };
    let name: Vec<u8> = "工作要点".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut sheet_entry = vec![0u8; 6];
    sheet_entry.extend_from_slice(&[4, 1]);
    sheet_entry.extend_from_slice(&name);
    let globals_len = bof(5).len() + record(0x0042, &[0; 2]).len() + record(0x0085, &sheet_entry).len() + 4;
    sheet_entry[..4].copy_from_slice(&(globals_len as u32).to_le_bytes());
    let mut stream = bof(5);
    stream.extend(record(0x0042, &1200u16.to_le_bytes()));
    stream.extend(record(0x0085, &sheet_entry));
    stream.extend(record(0x000A, &[]));
    stream.extend(bof(0x10));
    let width = rows.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let mut dimensions = 0u32.to_le_bytes().to_vec();
    dimensions.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    dimensions.extend_from_slice(&[0, 0]);
    dimensions.extend_from_slice(&width.to_le_bytes());
    dimensions.extend_from_slice(&[0, 0]);
    stream.extend(record(0x0200, &dimensions));
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let mut data = (r as u16).to_le_bytes().to_vec();
            data.extend_from_slice(&(c as u16).to_le_bytes());
            data.extend_from_slice(&[0, 0]);
            match cell {
                Cell::Text(t) => {
                    data.extend_from_slice(&(t.encode_utf16().count() as u16).to_le_bytes());
                    data.push(1);
                    data.extend(t.encode_utf16().flat_map(u16::to_le_bytes));
                    stream.extend(record(0x0204, &data));
                }
                Cell::Number(n) => {
                    data.extend_from_slice(&n.to_le_bytes());
                    stream.extend(record(0x0203, &data));
                }
            }
        }
    }
    stream.extend(record(0x000A, &[]));
    super::word::compound_file(&[("/Workbook", &stream)])
}

pub fn xlsx(title: &str, paragraphs: &[String], indicators: &[Indicator]) -> Vec<u8> {
    let rows = rows(title, paragraphs, indicators);
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
