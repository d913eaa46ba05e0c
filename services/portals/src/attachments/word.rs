//! Word 97-2003 binary files as Word and WPS write them: a compound file
//! with a `WordDocument` stream (the FIB, then the text) and a `1Table`
//! stream holding the piece table.

use std::io::{Cursor, Write};

/// A run of the text and how it is stored.
struct Piece {
    text: String,
    /// 8-bit GBK (code page 936) rather than UTF-16LE.
    gbk: bool,
}

/// Where the text starts in the `WordDocument` stream: after the FIB.
const TEXT_START: usize = 0x400;
const FC_COMPRESSED: u32 = 0x4000_0000;

/// A Word file fast-saved twice: each paragraph a UTF-16 piece, stored in
/// the stream in the reverse of reading order (as edits are appended), and
/// the last paragraph an 8-bit GBK piece.
pub fn doc(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let count = paragraphs.len();
    let pieces = lines(title, paragraphs)
        .enumerate()
        .map(|(i, text)| Piece { text, gbk: i == count })
        .collect::<Vec<_>>();
    word_file(&pieces, true)
}

/// A WPS file: every paragraph an 8-bit GBK piece, in reading order.
pub fn wps(title: &str, paragraphs: &[String]) -> Vec<u8> {
    let pieces = lines(title, paragraphs)
        .map(|text| Piece { text, gbk: true })
        .collect::<Vec<_>>();
    word_file(&pieces, false)
}

/// The title and paragraphs, each ending in Word's paragraph mark.
fn lines<'a>(title: &'a str, paragraphs: &'a [String]) -> impl Iterator<Item = String> + 'a {
    std::iter::once(title)
        .chain(paragraphs.iter().map(String::as_str))
        .map(|p| format!("{p}\r"))
}

fn word_file(pieces: &[Piece], reversed: bool) -> Vec<u8> {
    let mut stream = vec![0u8; TEXT_START];
    let mut fcs = vec![0u32; pieces.len()];
    let mut cps = vec![0u32];
    for piece in pieces {
        let len = if piece.gbk {
            encoding_rs::GBK.encode(&piece.text).0.len()
        } else {
            piece.text.encode_utf16().count()
        };
        cps.push(cps[cps.len() - 1] + len as u32);
    }
    let order: Vec<usize> = if reversed {
        (0..pieces.len()).rev().collect()
    } else {
        (0..pieces.len()).collect()
    };
    for i in order {
        let piece = &pieces[i];
        if piece.gbk {
            fcs[i] = (stream.len() as u32 * 2) | FC_COMPRESSED;
            stream.extend_from_slice(&encoding_rs::GBK.encode(&piece.text).0);
        } else {
            if !stream.len().is_multiple_of(2) {
                stream.push(0);
            }
            fcs[i] = stream.len() as u32;
            stream.extend(piece.text.encode_utf16().flat_map(u16::to_le_bytes));
        }
    }
    let mut plc: Vec<u8> = cps.iter().flat_map(|cp| cp.to_le_bytes()).collect();
    for fc in &fcs {
        plc.extend_from_slice(&0u16.to_le_bytes());
        plc.extend_from_slice(&fc.to_le_bytes());
        plc.extend_from_slice(&0u16.to_le_bytes());
    }
    let mut clx = vec![0x02];
    clx.extend_from_slice(&(plc.len() as u32).to_le_bytes());
    clx.extend_from_slice(&plc);
    let ccp_text = cps[cps.len() - 1];
    write_fib(&mut stream, ccp_text, clx.len() as u32, reversed);
    compound_file(&[("/WordDocument", &stream), ("/1Table", &clx)])
}

/// The FIB of a Chinese Word 97 file whose Clx is at the start of `1Table`.
fn write_fib(stream: &mut [u8], ccp_text: u32, lcb_clx: u32, fast_saved: bool) {
    let mut put16 = |at: usize, v: u16| stream[at..at + 2].copy_from_slice(&v.to_le_bytes());
    put16(0x00, 0xA5EC);
    put16(0x02, 0x00C1);
    put16(0x06, 0x0804);
    // fComplex and two quick saves when fast-saved; fWhichTblStm: 1Table.
    put16(0x0A, 0x0200 | if fast_saved { 0x0004 | (2 << 4) } else { 0 });
    put16(0x0C, 0x00BF);
    put16(0x20, 14);
    put16(0x22 + 13 * 2, 0x0804);
    put16(0x3E, 22);
    put16(0x98, 93);
    let len = stream.len() as u32;
    let mut put32 = |at: usize, v: u32| stream[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put32(0x40, len);
    put32(0x4C, ccp_text);
    put32(0x9A + 33 * 8, 0);
    put32(0x9A + 33 * 8 + 4, lcb_clx);
}

/// A compound file holding `streams`.
pub(super) fn compound_file(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file = match cfb::CompoundFile::create(Cursor::new(Vec::new())) {
        Ok(file) => file,
        Err(_) => return Vec::new(),
    };
    for (name, data) in streams {
        // Writing to memory cannot fail.
        if let Ok(mut stream) = file.create_stream(name) {
            let _ = stream.write_all(data);
        }
    }
    let _ = file.flush();
    file.into_inner().into_inner()
}
