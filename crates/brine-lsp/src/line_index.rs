//! Byte offsets to LSP positions and back.
//!
//! The front end's spans are byte ranges of the source; LSP positions are a
//! zero-based line and a column counted in UTF-16 code units (the protocol's
//! default encoding, which this server keeps). Lines end at `\n`, `\r\n` or a
//! lone `\r`, as the protocol says.
//!
//! Both directions are total: an offset past the end, or inside a UTF-8
//! sequence, is rounded down to a character boundary; a position past the end
//! of its line, past the last line, or in the middle of a surrogate pair is
//! clamped to the nearest character boundary at or before it.

use lsp_types::Position;

/// The line starts of one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line; `starts[0] == 0`.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, len: bytes.len() }
    }

    /// The zero-based line holding byte `offset` (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// Where line `line`'s content ends (before its terminator), in bytes.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        let mut end = end.min(bytes.len());
        let start = self.starts[line];
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }

    /// The LSP position of byte `offset` of `text` (the text this index was
    /// made from).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: column as u32 }
    }

    /// The byte offset of LSP position `position` in `text`, clamped as the
    /// module doc says.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return self.len;
        }
        let start = self.starts[line];
        let end = self.line_end(text, line);
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            let next = units + c.len_utf16();
            if next > position.character as usize {
                return start + i;
            }
            units = next;
        }
        end
    }

    /// A byte range of `text` as an LSP range.
    pub fn range(&self, text: &str, start: usize, end: usize) -> lsp_types::Range {
        let end = end.max(start);
        lsp_types::Range { start: self.position(text, start), end: self.position(text, end) }
    }
}

/// The largest character boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii_offsets_round_trip() {
        let text = "var a = 1;\nprint a;\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), pos(0, 0));
        assert_eq!(index.position(text, 4), pos(0, 4));
        assert_eq!(index.position(text, 11), pos(1, 0));
        assert_eq!(index.position(text, 17), pos(1, 6));
        for offset in 0..=text.len() {
            assert_eq!(index.offset(text, index.position(text, offset)), offset, "offset {offset}");
        }
    }

    #[test]
    fn non_ascii_columns_count_utf16_units() {
        // "é" is 2 bytes and 1 unit; "😀" is 4 bytes and 2 units.
        let text = "print \"é😀\"; var x;\n// 😀 x\nx;";
        let index = LineIndex::new(text);
        let x = text.find("x;").unwrap();
        // `print "é😀"; var ` is 6 + 1 + 1 + 2 + 1 + 1 + 1 + 4 = 17 units.
        assert_eq!(index.position(text, x), pos(0, 17));
        assert_eq!(index.offset(text, pos(0, 17)), x);
        let second = text.rfind("x\n").unwrap();
        // `// 😀 ` is 3 + 2 + 1 = 6 units.
        assert_eq!(index.position(text, second), pos(1, 6));
        assert_eq!(index.offset(text, pos(1, 6)), second);
        assert_eq!(index.position(text, text.len()), pos(2, 2));
    }

    #[test]
    fn inside_a_character_is_rounded_down() {
        let text = "a😀b";
        let index = LineIndex::new(text);
        // Byte 2 is inside the emoji: its position is the emoji's.
        assert_eq!(index.position(text, 2), pos(0, 1));
        // Unit 2 is between the surrogates: the offset is the emoji's start.
        assert_eq!(index.offset(text, pos(0, 2)), 1);
        assert_eq!(index.offset(text, pos(0, 3)), 5);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, pos(0, 99)), 2, "the end of the line, before \\r\\n");
        assert_eq!(index.offset(text, pos(1, 1)), 5);
        assert_eq!(index.offset(text, pos(7, 0)), text.len());
        assert_eq!(index.offset(text, pos(u32::MAX, u32::MAX)), text.len());
        assert_eq!(index.position(text, 1000), pos(2, 0));
    }

    #[test]
    fn every_line_terminator_counts() {
        let text = "a\rb\r\nc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2), pos(1, 0));
        assert_eq!(index.position(text, 5), pos(2, 0));
        assert_eq!(index.position(text, 7), pos(3, 0));
        assert_eq!(index.offset(text, pos(3, 0)), 7);
    }
}
