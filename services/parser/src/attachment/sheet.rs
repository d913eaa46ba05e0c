//! Spreadsheets (`.xls`, WPS `.et`, `.xlsx`), read with calamine: each
//! sheet's rows as lines, cells joined by tabs, empty cells and rows left
//! out. Townships publish indicator tables and task lists this way.
//!
//! calamine lays a sheet out as a dense grid from its corner cells, so a
//! file with one cell at A1 and one at the last row and column would ask
//! for billions of cells: XLSX cells are streamed and counted instead, and
//! an XLS workbook's cell records are measured before calamine sees it.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xls, Xlsx};

use super::{AttachmentError, MAX_TEXT_BYTES, zip_within_budget};

/// Cells read from one workbook (or spanned by one XLS sheet's extent).
const MAX_CELLS: u64 = 2_000_000;

/// The text of an XLSX workbook.
pub fn xlsx_text(bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable {
        format: "xlsx",
        message,
    };
    // calamine decompresses shared strings and sheets without a limit.
    zip_within_budget(bytes, MAX_TEXT_BYTES).map_err(unreadable)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut out = String::new();
    let mut budget = MAX_CELLS;
    for name in book.sheet_names() {
        let mut reader = book
            .worksheet_cells_reader(&name)
            .map_err(|e| unreadable(e.to_string()))?;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| unreadable(format!("more than {MAX_CELLS} cells")))?;
            let text = Data::from(cell.get_value().clone()).to_string();
            cells.push((cell.get_position(), text));
        }
        cells.sort_by_key(|(position, _)| *position);
        render(cells, &mut out);
    }
    Ok(out)
}

/// The text of an XLS (BIFF) workbook; `format` is `xls` or `et`.
pub fn xls_text(format: &'static str, bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable { format, message };
    check_extent(bytes).map_err(unreadable)?;
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut out = String::new();
    for (_, range) in book.worksheets() {
        let cells = range
            .cells()
            .filter(|(_, _, value)| !matches!(value, Data::Empty))
            .map(|(row, col, value)| ((row as u32, col as u32), value.to_string()))
            .collect();
        render(cells, &mut out);
    }
    Ok(out)
}

/// Cells sorted by (row, column) as lines of tab-separated values.
fn render(cells: Vec<((u32, u32), String)>, out: &mut String) {
    let mut row = None;
    let mut line: Vec<String> = Vec::new();
    let mut flush = |line: &mut Vec<String>| {
        if !line.is_empty() {
            out.push_str(&line.join("\t"));
            out.push('\n');
            line.clear();
        }
    };
    for ((r, _), text) in cells {
        if row != Some(r) {
            flush(&mut line);
            row = Some(r);
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            line.push(text);
        }
    }
    flush(&mut line);
}

/// BIFF records that hold a cell, with the row at bytes 0-1 and the
/// column at 2-3 of their data.
const CELL_RECORDS: &[u16] = &[0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x0406];
/// MULRK and MULBLANK: a row of cells from the column at 2-3 to the one in
/// their last two bytes.
const MULTI_RECORDS: &[u16] = &[0x00BD, 0x00BE];
const BOF: u16 = 0x0809;
const DIMENSIONS: u16 = 0x0200;

/// calamine reserves a sheet's declared dimensions and computes them
/// unchecked: declared bounds spanning more than [`MAX_CELLS`], or whose
/// last row comes before the first, are refused.
fn check_dimensions(data: &[u8]) -> Result<(), String> {
    let u16_at = |i: usize| u32::from(u16::from_le_bytes([data[i], data[i + 1]]));
    let u32_at = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
    let (first_row, rows_end, first_col, cols_end) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return Ok(()),
    };
    // calamine takes a first column past the last, or past 255, as 0.
    let first_col = if first_col > 0xFF || cols_end < first_col {
        0
    } else {
        first_col
    };
    if rows_end >= 1 && rows_end - 1 < first_row {
        return Err(format!(
            "dimensions ending at row {rows_end} before their first, {first_row}"
        ));
    }
    let spanned = u64::from(rows_end.saturating_sub(first_row)) * u64::from(cols_end.saturating_sub(first_col));
    if spanned > MAX_CELLS {
        return Err(format!("dimensions spanning {spanned} cells"));
    }
    Ok(())
}

/// Refuses a workbook one of whose sheets spans more than [`MAX_CELLS`].
fn check_extent(bytes: &[u8]) -> Result<(), String> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let name = if file.is_stream("Workbook") { "Workbook" } else { "Book" };
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(|e| format!("no workbook stream: {e}"))?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(|e| e.to_string())?;
    let mut extent: Option<[u16; 4]> = None;
    let mut at = 0usize;
    while let Some(header) = stream.get(at..at + 4) {
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let data = stream.get(at + 4..at + 4 + len).unwrap_or(&[]);
        at += 4 + len;
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let cells = match kind {
            BOF => {
                extent = None;
                continue;
            }
            DIMENSIONS => {
                check_dimensions(data)?;
                continue;
            }
            k if CELL_RECORDS.contains(&k) => u16_at(0).zip(u16_at(2)).map(|(r, c)| (r, c, c)),
            k if MULTI_RECORDS.contains(&k) && len >= 6 => u16_at(0)
                .zip(u16_at(2))
                .zip(u16_at(len - 2))
                .map(|((r, c0), c1)| (r, c0, c1)),
            _ => None,
        };
        let Some((row, first, last)) = cells else { continue };
        let e = extent.get_or_insert([row, row, first, last]);
        *e = [e[0].min(row), e[1].max(row), e[2].min(first), e[3].max(last)];
        let spanned = (u64::from(e[1] - e[0]) + 1) * (u64::from(e[3].saturating_sub(e[2])) + 1);
        if spanned > MAX_CELLS {
            return Err(format!("a sheet spanning {spanned} cells"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_lines_of_tab_separated_cells() {
        let cells = vec![
            ((0, 0), "指标".to_string()),
            ((0, 1), "单位".to_string()),
            ((2, 0), "地区生产总值".to_string()),
            ((2, 1), " 亿元\n".to_string()),
            ((2, 2), String::new()),
            ((2, 3), "12.5".to_string()),
        ];
        let mut out = String::new();
        render(cells, &mut out);
        assert_eq!(out, "指标\t单位\n地区生产总值\t亿元\t12.5\n");
    }
}
