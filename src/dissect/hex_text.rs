//! Hexadecimal numbers in evidence texts ("SSRC 0x1a2b3c4d", "STUN
//! attribute 0x8022"), appended without the formatting machinery, which
//! cost ~900 instructions a text on flows that show them.

/// Appends `value` as `format!("{value:#0width$x}")` writes it: "0x", then
/// lower-case hex digits, zero-padded so that the whole text is at least
/// `width` characters long.
pub(crate) fn push_hex(out: &mut String, value: u64, width: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let significant = (64 - value.leading_zeros()).div_ceil(4).max(1) as usize;
    let digits = significant.max(width.saturating_sub(2));
    out.push_str("0x");
    for i in (0..digits).rev() {
        let nibble = if i < 16 { (value >> (4 * i)) & 0xf } else { 0 };
        out.push(char::from(
            DIGITS.get(nibble as usize).copied().unwrap_or(b'0'),
        ));
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
            for width in [0, 1, 2, 3, 6, 10, 20] {
                let mut out = String::from("x");
                push_hex(&mut out, value, width);
                assert_eq!(out, format!("x{value:#0width$x}"), "{value} {width}");
            }
        }
    }
}
