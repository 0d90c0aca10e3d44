//! Captures streamed through a pipe (`tcpdump -w - | callpath analyze -`):
//! pcap-parser's buffered reader, so memory stays constant however long the
//! stream runs. Packets borrow the reader's buffer until the next record.

use std::io::Read;

use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use super::block_decoder::BlockDecoder;
use super::{Damage, RawPacket, ReadOutcome};
use crate::error::CaptureError;

/// Large enough for any record callpath accepts (see the file reader).
const BUFFER_BYTES: usize = 1 << 20;

/// Reads a whole capture stream, handing each packet to `visit`. `name` is
/// how errors refer to the stream (e.g. "standard input").
pub fn read_stream<R, F>(name: &str, input: R, mut visit: F) -> Result<ReadOutcome, CaptureError>
where
    R: Read + Send,
    F: FnMut(RawPacket<'_>, u64),
{
    let mut reader = match create_reader(BUFFER_BYTES, input) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(CaptureError::Empty(name.into())),
        Err(_) => return Err(CaptureError::NotACapture(name.into())),
    };
    let mut out = ReadOutcome::default();
    let mut decoder = BlockDecoder::pcapng();
    let mut frame = 0u64;
    let mut position = 0u64;
    loop {
        match reader.next() {
            Ok((used, block)) => {
                let pkt = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        decoder = BlockDecoder::classic(h.network.0, h.is_nanosecond_precision());
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        frame += 1;
                        Some(decoder.classic_frame(&b, frame))
                    }
                    PcapBlockOwned::NG(b) => {
                        if b.is_data_block() {
                            frame += 1;
                        }
                        decoder.pcapng_block(&b, frame)
                    }
                };
                position += used as u64;
                if let Some(pkt) = pkt {
                    out.packets += 1;
                    out.count_unsupported(pkt.link);
                    visit(pkt, position);
                }
                reader.consume(used);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    out.damage = Some(Damage {
                        offset: position,
                        reason: "stream ends in the middle of a record".into(),
                    });
                    break;
                }
                if reader.refill().is_err() {
                    out.damage = Some(Damage {
                        offset: position,
                        reason: "read error or record larger than the stream buffer".into(),
                    });
                    break;
                }
            }
            Err(_) => {
                out.damage = Some(Damage {
                    offset: position,
                    reason: "corrupt record".into(),
                });
                break;
            }
        }
    }
    Ok(out)
}
