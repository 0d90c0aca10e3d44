//! Line splitting for the text protocols (SIP headers, SDP bodies).
//! Line ends are found with memchr: `str::split` and `str::lines` look for
//! each with a searcher that cost ~200 instructions per short line.

/// The lines of `text`, without their CR LF (or bare LF) ends, as
/// `text.split('\n')` with a trailing '\r' stripped from each: a text
/// ending in a line end gives a last, empty line.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        // '\n' is ASCII: both ends are character boundaries.
        let line = text.get(start..end).unwrap_or_default();
        start = end + 1;
        line.strip_suffix('\r').unwrap_or(line)
    })
}

/// `s` split around the first `byte` (an ASCII byte), as `split_once`.
pub(crate) fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = memchr::memchr(byte, s.as_bytes())?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// What `lines` must give: `str::split` at '\n', a trailing '\r' off each.
#[cfg(test)]
pub(crate) fn std_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_as_std_does() {
        for text in [
            "",
            "a",
            "a\r\nb",
            "a\nb\n",
            "a\r\n\r\n",
            "\r",
            "x=\r\r\ny",
            "é\nü\r\n",
        ] {
            assert_eq!(lines(text).collect::<Vec<_>>(), std_lines(text), "{text:?}");
        }
    }

    #[test]
    fn split_at_byte_is_split_once() {
        for s in ["a:b", ":", "a:", ":b", "ab", "a:b:c", "é:ü"] {
            assert_eq!(split_at_byte(s, b':'), s.split_once(':'), "{s:?}");
        }
    }
}
