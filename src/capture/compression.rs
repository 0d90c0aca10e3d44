//! Compressed captures. Gzip (Wireshark's "compress with gzip", most
//! capture archives) is read through a streaming decompressor, so memory
//! stays flat however large the capture; other compressors are named by
//! their magic number so the user is told how to decompress, not that the
//! file is no capture.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// RFC 1952's two identification bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Magic numbers of compressors callpath does not read, with the command
/// that undoes each (each tool's own format specification).
const OTHER_COMPRESSORS: [(&[u8], &str, &str); 5] = [
    (&[0x28, 0xb5, 0x2f, 0xfd], "zstd", "zstd -d"),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz", "xz -d"),
    (b"BZh", "bzip2", "bunzip2"),
    (&[0x04, 0x22, 0x4d, 0x18], "LZ4", "lz4 -d"),
    (&[b'P', b'K', 0x03, 0x04], "zip", "unzip"),
];

/// Whether `head` (a file's or stream's first bytes) is gzip data.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
}

/// Whether the file at `path` starts as gzip data.
pub fn file_is_gzip(path: &Path) -> io::Result<bool> {
    let mut head = Vec::with_capacity(GZIP_MAGIC.len());
    File::open(path)?
        .take(GZIP_MAGIC.len() as u64)
        .read_to_end(&mut head)?;
    Ok(is_gzip(&head))
}

/// The compressor and the command that undoes it, when `head` starts with
/// the magic number of one callpath does not read.
pub fn other_compressor(head: &[u8]) -> Option<(&'static str, &'static str)> {
    OTHER_COMPRESSORS
        .iter()
        .find(|(magic, _, _)| head.starts_with(magic))
        .map(|&(_, name, command)| (name, command))
}

/// A reader of the decompressed bytes of gzip data (every member of a
/// multi-member file, as `gzip -d` gives them).
pub fn gunzip<R: Read>(input: R) -> flate2::read::MultiGzDecoder<io::BufReader<R>> {
    flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, input))
}

/// Decompresses gzip data whole, keeping what comes before any corruption
/// (the capture reader then reports the capture as cut short there).
pub fn gunzip_all(compressed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(3));
    let _ = gunzip(compressed).read_to_end(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_members_are_read_in_turn_and_corruption_keeps_the_head() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|n| n.to_le_bytes()).collect();
        let (a, b) = data.split_at(123_456);
        let two_members = [gzip(a), gzip(b)].concat();
        assert!(is_gzip(&two_members));
        assert_eq!(gunzip_all(&two_members), data);
        let whole = gzip(&data);
        let cut = &whole[..whole.len() / 2];
        let head = gunzip_all(cut);
        assert!(
            !head.is_empty() && data.starts_with(&head),
            "{}",
            head.len()
        );
    }

    #[test]
    fn other_compressors_are_named() {
        assert_eq!(
            other_compressor(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Some(("zstd", "zstd -d"))
        );
        assert_eq!(other_compressor(b"BZh91AY"), Some(("bzip2", "bunzip2")));
        assert_eq!(other_compressor(&[0xd4, 0xc3, 0xb2, 0xa1]), None);
        assert!(!is_gzip(&[0x1f]));
    }
}
