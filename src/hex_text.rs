//! Hexadecimal numbers as `format!("{value:#0width$x}")` writes them
//! ("SSRC 0x1a2b3c4d", "STUN attribute 0x8022"), built on the stack: the
//! formatting machinery cost ~900 instructions a text on the flows and
//! records that show them.

/// "0x", then lower-case hex digits, zero-padded so that the whole text is
/// at least `width` characters long (up to the 18 of a 64-bit number).
pub struct HexText {
    bytes: [u8; 18],
    len: usize,
}

impl HexText {
    pub fn new(value: u64, width: usize) -> HexText {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let significant = (64 - value.leading_zeros()).div_ceil(4).max(1) as usize;
        let digits = significant.max(width.saturating_sub(2)).min(16);
        let mut t = HexText {
            bytes: [0; 18],
            len: 2 + digits,
        };
        let mut text = [b'0', b'x'].into_iter().chain((0..digits).rev().map(|i| {
            let nibble = ((value >> (4 * i)) & 0xf) as usize;
            DIGITS.get(nibble).copied().unwrap_or(b'0')
        }));
        for slot in &mut t.bytes {
            match text.next() {
                Some(b) => *slot = b,
                None => break,
            }
        }
        t
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_format_writes_it() {
        for value in [
            0u64,
            1,
            0xf,
            0x10,
            0x8022,
            0xffff,
            0x1_0000,
            0xdead_beef,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            for width in [0, 1, 2, 3, 6, 10, 18] {
                let text = HexText::new(value, width);
                assert_eq!(
                    text.as_str(),
                    format!("{value:#0width$x}"),
                    "{value} {width}"
                );
            }
        }
    }
}
