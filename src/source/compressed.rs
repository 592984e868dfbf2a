//! Compressed captures, as tshark reads them: gzip (`.pcap.gz`, `.pcapng.gz`) and zstd,
//! recognised by their magic numbers (not by the file name) and decompressed as a stream, so
//! memory stays flat whatever the size: gzip keeps a 32 KiB window, zstd the frame's window
//! (ruzstd refuses one above 100 MiB; `zstd` writes at most 8 MiB below `--ultra`/`--long`).
//!
//! ruzstd hands decoded bytes over only once they have left the window (or the frame ended),
//! so a zstd stream cut short loses up to a window of packets before the cut (the error still
//! says the data ends early), and a live pipe through zstd lags by up to a window.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// A compression format a capture can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// Zstandard (RFC 8878), one or more frames.
    Zstd,
}

impl Compression {
    /// The format whose magic number `head` starts with, if any.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        match head {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// A reader of the decompressed bytes of `input`.
    pub fn decoder(self, input: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
        match self {
            // Multi: `cat a.pcap.gz b.gz` and pigz's output are several members.
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
            Compression::Zstd => Box::new(ZstdFrames {
                input: BufReader::new(input),
                decoder: FrameDecoder::new(),
                in_frame: false,
            }),
        }
    }
}

/// Every frame of a zstd stream, decoded as it is read (ruzstd's `StreamingDecoder` reads one
/// frame); skippable frames are skipped and content checksums checked.
struct ZstdFrames<R> {
    input: BufReader<R>,
    decoder: FrameDecoder,
    /// A frame has been started and not yet drained.
    in_frame: bool,
}

/// ruzstd's error as an `io::Error`: a stream that ends early says so plainly (ruzstd nests
/// the reader's `UnexpectedEof` in its own errors), anything else is invalid data.
fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof)
        {
            return io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the zstd data ends inside a frame",
            );
        }
        cause = c.source();
    }
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                let d = &mut self.decoder;
                // A block at a time, handing over what can be: a stream cut further on
                // loses only what the decoder still holds.
                while d.can_collect() == 0 && !d.is_finished() {
                    d.decode_blocks(&mut self.input, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(invalid)?;
                }
                let n = d.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if let (Some(stored), Some(computed)) =
                    (d.get_checksum_from_data(), d.get_calculated_checksum())
                {
                    if stored != computed {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "zstd frame checksum does not match its content",
                        ));
                    }
                }
                self.in_frame = false;
            }
            if self.input.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.reset(&mut self.input) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped =
                        io::copy(&mut (&mut self.input).take(length.into()), &mut io::sink())?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the data ends inside a skippable zstd frame",
                        ));
                    }
                }
                Err(e) => return Err(invalid(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(c: Compression, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        c.decoder(Box::new(io::Cursor::new(bytes.to_vec())))
            .read_to_end(&mut out)?;
        Ok(out)
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        ruzstd::encoding::compress(data, &mut out, ruzstd::encoding::CompressionLevel::Fastest);
        out
    }

    #[test]
    fn several_gzip_members_and_zstd_frames_are_one_stream() {
        use std::io::Write;
        let mut gz = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).unwrap();
            gz.extend(e.finish().unwrap());
        }
        assert_eq!(Compression::detect(&gz), Some(Compression::Gzip));
        assert_eq!(decode(Compression::Gzip, &gz).unwrap(), b"first second");

        let big: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut zs = zstd(&big);
        // A skippable frame between two frames.
        zs.extend(0x184d_2a50u32.to_le_bytes());
        zs.extend(3u32.to_le_bytes());
        zs.extend([9, 9, 9]);
        zs.extend(zstd(b"tail"));
        assert_eq!(Compression::detect(&zs), Some(Compression::Zstd));
        let mut want = big.clone();
        want.extend(b"tail");
        assert_eq!(decode(Compression::Zstd, &zs).unwrap(), want);
    }

    #[test]
    fn cut_or_corrupt_streams_are_errors() {
        let zs = zstd(&[7u8; 100_000]);
        assert!(decode(Compression::Zstd, &zs[..zs.len() / 2]).is_err());
        let mut bad = zs.clone();
        bad[4] = 0xff; // frame header descriptor: reserved bit
        assert!(decode(Compression::Zstd, &bad).is_err());
        assert_eq!(Compression::detect(b"\xd4\xc3\xb2\xa1"), None);
    }
}
