//! Word 97-2003 binary files (`.doc`) and WPS Office files (`.wps`, the
//! same binary format): the text of the main document, read through the
//! piece table.
//!
//! No maintained crate reads Word binary text, and the part needed is
//! small ([MS-DOC] 2.3.1 "Retrieving Text"): `cfb` opens the compound
//! file; the FIB at the start of the `WordDocument` stream locates the
//! Clx in the table stream; its PlcPcd lists the pieces, each a run of
//! characters stored either as UTF-16LE or as 8-bit text (`fc` bit 30).
//! A fast-saved file appends edits as new pieces anywhere in the stream:
//! reading in piece order, never in file order, is what makes it right.
//!
//! [MS-DOC]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-doc/

use std::io::{Cursor, Read};

use encoding_rs::{BIG5, Encoding, GBK, WINDOWS_1252};

use super::{AttachmentError, MAX_TEXT_BYTES};

const WORD_IDENT: u16 = 0xA5EC;
/// Word 97 and later; Word 6 and 95 files have no piece table of this shape.
const MIN_NFIB: u16 = 0x00C1;
const F_ENCRYPTED: u16 = 0x0100;
const F_WHICH_TBL_STM: u16 = 0x0200;
/// `fc` bit 30: the piece is 8-bit text at `(fc & !bit) / 2`.
const FC_COMPRESSED: u32 = 0x4000_0000;
/// Index of `fcClx` among the FIB's (fc, lcb) pairs, and of `ccpText`
/// among its 32-bit counts.
const CLX_PAIR: usize = 33;
const CCP_TEXT: usize = 3;
/// Index of `lidFE` among the FIB's 16-bit values.
const LID_FE: usize = 13;

/// Reads the main text of a Word binary file; `format` names it in errors.
pub fn text(format: &'static str, bytes: &[u8]) -> Result<String, AttachmentError> {
    let unreadable = |message: String| AttachmentError::Unreadable { format, message };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let word = read_stream(&mut file, "WordDocument", bytes.len()).map_err(unreadable)?;
    let fib = Fib::parse(&word).map_err(unreadable)?;
    let table_name = if fib.flags & F_WHICH_TBL_STM != 0 {
        "1Table"
    } else {
        "0Table"
    };
    let table = read_stream(&mut file, table_name, bytes.len()).map_err(unreadable)?;
    let clx = table
        .get(fib.fc_clx..fib.fc_clx.saturating_add(fib.lcb_clx))
        .ok_or_else(|| unreadable("the piece table lies outside the table stream".into()))?;
    let pieces = pieces(clx).map_err(unreadable)?;
    let mut text = String::new();
    let mut remaining = fib.ccp_text;
    for piece in pieces {
        if remaining == 0 {
            break;
        }
        let chars = piece.chars.min(remaining);
        remaining -= chars;
        decode_piece(&word, &piece, chars, fib.ansi, &mut text).map_err(unreadable)?;
        if text.len() as u64 > MAX_TEXT_BYTES {
            return Err(unreadable("more text than any report has".into()));
        }
    }
    Ok(clean(&text))
}

fn read_stream(file: &mut cfb::CompoundFile<Cursor<&[u8]>>, name: &str, limit: usize) -> Result<Vec<u8>, String> {
    let stream = file.open_stream(name).map_err(|e| format!("no {name} stream: {e}"))?;
    let mut data = Vec::new();
    // A stream can be no longer than the file holding it; the limit stops
    // a corrupt chain that loops.
    stream
        .take(limit as u64)
        .read_to_end(&mut data)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(data)
}

/// What the text needs of the File Information Block.
struct Fib {
    flags: u16,
    ccp_text: usize,
    fc_clx: usize,
    lcb_clx: usize,
    /// The code page of 8-bit pieces.
    ansi: &'static Encoding,
}

impl Fib {
    fn parse(word: &[u8]) -> Result<Fib, String> {
        let u16_at = |at: usize| word.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at = |at: usize| {
            word.get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let short = || "the FIB is cut short".to_string();
        if u16_at(0) != Some(WORD_IDENT) {
            return Err("no Word FIB at the start of the WordDocument stream".into());
        }
        let n_fib = u16_at(2).ok_or_else(short)?;
        if n_fib < MIN_NFIB {
            return Err(format!("a Word 6/95 file (nFib {n_fib:#x}), not read"));
        }
        let flags = u16_at(0x0A).ok_or_else(short)?;
        if flags & F_ENCRYPTED != 0 {
            return Err("the file is encrypted".into());
        }
        // FibRgW, FibRgLw and FibRgFcLcb follow the 32-byte FibBase, each
        // after its own count, so offsets are computed, not assumed.
        let csw = usize::from(u16_at(0x20).ok_or_else(short)?);
        let rg_w = 0x22;
        let cslw_at = rg_w + csw * 2;
        let cslw = usize::from(u16_at(cslw_at).ok_or_else(short)?);
        let rg_lw = cslw_at + 2;
        let cb_at = rg_lw + cslw * 4;
        let pairs = usize::from(u16_at(cb_at).ok_or_else(short)?);
        if cslw <= CCP_TEXT || pairs <= CLX_PAIR {
            return Err("the FIB has no text count or piece table".into());
        }
        let rg_fc = cb_at + 2;
        let lid = u16_at(0x06).unwrap_or(0);
        let lid_fe = if csw > LID_FE {
            u16_at(rg_w + LID_FE * 2).unwrap_or(0)
        } else {
            0
        };
        Ok(Fib {
            flags,
            ccp_text: u32_at(rg_lw + CCP_TEXT * 4).ok_or_else(short)? as usize,
            fc_clx: u32_at(rg_fc + CLX_PAIR * 8).ok_or_else(short)? as usize,
            lcb_clx: u32_at(rg_fc + CLX_PAIR * 8 + 4).ok_or_else(short)? as usize,
            ansi: ansi_code_page(lid, lid_fe),
        })
    }
}

/// 8-bit pieces are in the writer's ANSI code page: Chinese Word and WPS
/// write GBK (code page 936) or Big5 (950), which the FIB's language ids
/// say; anything else is Windows-1252, as [MS-DOC] specifies.
fn ansi_code_page(lid: u16, lid_fe: u16) -> &'static Encoding {
    match (lid, lid_fe) {
        (0x0804 | 0x1004, _) | (_, 0x0804 | 0x1004) => GBK,
        (0x0404 | 0x0C04 | 0x1404, _) | (_, 0x0404 | 0x0C04 | 0x1404) => BIG5,
        _ => WINDOWS_1252,
    }
}

/// One run of characters of the document.
struct Piece {
    chars: usize,
    fc: u32,
}

/// The pieces of the Clx: property runs (`0x01`) skipped, then the PlcPcd
/// (`0x02`): n+1 character positions and n 8-byte piece descriptors.
fn pieces(clx: &[u8]) -> Result<Vec<Piece>, String> {
    let mut at = 0usize;
    while let Some(&kind) = clx.get(at) {
        match kind {
            0x01 => {
                let size = clx.get(at + 1..at + 3).ok_or("a property run is cut short")?;
                at += 3 + usize::from(u16::from_le_bytes([size[0], size[1]]));
            }
            0x02 => {
                let size = clx.get(at + 1..at + 5).ok_or("the piece table is cut short")?;
                let lcb = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
                let plc = clx.get(at + 5..at + 5 + lcb).ok_or("the piece table is cut short")?;
                return plc_pcd(plc);
            }
            other => return Err(format!("unknown Clx entry {other:#x}")),
        }
    }
    Err("no piece table".into())
}

fn plc_pcd(plc: &[u8]) -> Result<Vec<Piece>, String> {
    if plc.len() < 4 || !(plc.len() - 4).is_multiple_of(12) {
        return Err(format!("a piece table of {} bytes", plc.len()));
    }
    let n = (plc.len() - 4) / 12;
    let u32_at = |at: usize| u32::from_le_bytes([plc[at], plc[at + 1], plc[at + 2], plc[at + 3]]);
    (0..n)
        .map(|i| {
            let (start, end) = (u32_at(i * 4), u32_at(i * 4 + 4));
            if end < start {
                return Err(format!("piece {i} ends before it starts"));
            }
            Ok(Piece {
                chars: (end - start) as usize,
                fc: u32_at(4 * (n + 1) + i * 8 + 2),
            })
        })
        .collect()
}

fn decode_piece(
    word: &[u8],
    piece: &Piece,
    chars: usize,
    ansi: &'static Encoding,
    out: &mut String,
) -> Result<(), String> {
    let outside = || "a piece lies outside the text stream".to_string();
    if piece.fc & FC_COMPRESSED != 0 {
        let start = ((piece.fc & !FC_COMPRESSED) / 2) as usize;
        let bytes = word
            .get(start..start.checked_add(chars).ok_or_else(outside)?)
            .ok_or_else(outside)?;
        out.push_str(&ansi.decode_without_bom_handling(bytes).0);
    } else {
        let start = piece.fc as usize;
        let end = chars
            .checked_mul(2)
            .and_then(|n| start.checked_add(n))
            .ok_or_else(outside)?;
        let bytes = word.get(start..end).ok_or_else(outside)?;
        let units = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    }
    Ok(())
}

/// Word's control characters made plain text: paragraph, line, page and
/// cell marks end lines; of a field, the code (`HYPERLINK "…"`) goes and
/// its shown result stays; object anchors and soft hyphens go.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Fields nest: a stack of "still in the code part", and how many of
    // those are true, so skipping stays linear however deep the nesting.
    let mut fields: Vec<bool> = Vec::new();
    let mut in_code = 0usize;
    for c in text.chars() {
        match c {
            '\u{13}' => {
                fields.push(true);
                in_code += 1;
            }
            '\u{14}' => {
                if let Some(top) = fields.last_mut().filter(|top| **top) {
                    *top = false;
                    in_code -= 1;
                }
            }
            '\u{15}' => {
                if fields.pop() == Some(true) {
                    in_code -= 1;
                }
            }
            _ if in_code > 0 => {}
            '\r' | '\u{0B}' | '\u{0C}' | '\u{0E}' => out.push('\n'),
            '\u{07}' => out.push('\t'),
            '\u{1E}' => out.push('-'),
            '\u{01}' | '\u{02}' | '\u{05}' | '\u{08}' | '\u{1F}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_result_and_marks_end_lines() {
        let raw = "附件\u{13} HYPERLINK \"http://x\" \u{14}链接\u{15}一\r二\u{0B}三\u{07}四\u{1F}";
        assert_eq!(clean(raw), "附件链接一\n二\n三\t四");
        assert_eq!(clean("\u{13}外\u{13}内\u{14}果\u{15}\u{14}结果\u{15}"), "结果");
    }

    #[test]
    fn chinese_files_have_chinese_8_bit_pieces() {
        assert_eq!(ansi_code_page(0x0409, 0x0804), GBK);
        assert_eq!(ansi_code_page(0x0804, 0), GBK);
        assert_eq!(ansi_code_page(0x0409, 0x0409), WINDOWS_1252);
    }

    #[test]
    fn a_broken_piece_table_is_an_error() {
        assert!(pieces(&[0x02, 0xFF, 0xFF, 0, 0]).is_err());
        assert!(pieces(&[0x07]).is_err());
        assert!(plc_pcd(&[0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
