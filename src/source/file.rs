//! Capture files: pcap (µs and ns, either byte order) and pcapng (any number of
//! sections and interfaces, mixed link types, `if_tsresol` honoured), streamed from a file,
//! standard input or any reader, gzip- or zstd-compressed or not.

use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::chunks::{Chunks, CHUNK};
use super::compressed::Compression;
use super::mapped::Mapped;
use super::pcap::{self, FileHeader, Order};
use super::pcapng::{self, Block, Interface};
use super::Frame;
use crate::report::escape::escape_text;

/// The bytes of interface names a pcapng section keeps.
const NAME_BYTES: usize = 1 << 20;
/// A capture that cannot be read (further), with the byte offset where it went wrong.
#[derive(Debug)]
pub struct SourceError {
    /// The input: a file's path, or the name a reader was given (`stdin`).
    pub path: PathBuf,
    /// Byte offset of the record that could not be read (in the decompressed bytes when
    /// `compression` is set).
    pub offset: u64,
    /// What is wrong, in words a user can act on.
    pub message: String,
    /// The compression the capture came in.
    pub compression: Option<Compression>,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.path.display().to_string();
        write!(f, "{}: offset {}", escape_text(&name), self.offset)?;
        if let (Some(c), 1..) = (self.compression, self.offset) {
            write!(f, " of the {}-decompressed data", c.name())?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SourceError {}

enum Format {
    Pcap(FileHeader),
    PcapNg {
        /// Byte order of the current section (`None` before the first section header).
        order: Option<Order>,
        /// The current section's interfaces.
        interfaces: Vec<Interface>,
        /// Bytes of their names kept (see [`NAME_BYTES`]).
        name_bytes: usize,
    },
}

/// A streaming reader over one pcap or pcapng capture. Records are parsed in place from large
/// chunks of the input; frames borrow their bytes from the chunk.
pub struct FileSource {
    path: PathBuf,
    format: Format,
    chunks: Chunks,
    compression: Option<Compression>,
    /// Frames still to hand over (`-c N`); `None`: all of them.
    limit: Option<u64>,
}

const CUT: &str = "(cut short while copying or capturing?)";

impl FileSource {
    /// Opens `path`, recognising the format (and a gzip or zstd compression) by its magic
    /// number.
    pub fn open(path: &Path) -> Result<FileSource, SourceError> {
        let file = File::open(path).map_err(|e| SourceError {
            path: path.to_owned(),
            offset: 0,
            message: format!("cannot open: {e}"),
            compression: None,
        })?;
        if let Some(map) = Mapped::new(&file) {
            let whole = map.bytes();
            let head = &whole[..whole.len().min(pcap::FILE_HEADER)];
            // Compressed captures are read through their decoder.
            if Compression::detect(head).is_none() {
                let (format, start) = recognise(path, head, None)?;
                let mut chunks = Chunks::mapped(map);
                chunks.consume(start);
                return Ok(FileSource {
                    path: path.to_owned(),
                    format,
                    chunks,
                    compression: None,
                    limit: None,
                });
            }
        }
        FileSource::from_reader(path, file)
    }

    /// Reads standard input (`labcap replay -`), named `stdin` in messages. A terminal is
    /// refused: a capture is piped in, not typed.
    pub fn stdin() -> Result<FileSource, SourceError> {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            return Err(SourceError {
                path: "stdin".into(),
                offset: 0,
                message: "standard input is a terminal; pipe a capture into it, e.g. \
                          `tcpdump -r x.pcap -w - | labcap replay -`"
                    .into(),
                compression: None,
            });
        }
        FileSource::from_reader("stdin", stdin)
    }

    /// Reads a capture from any byte stream (a pipe, a socket, bytes in memory), `name` naming
    /// it in messages. Nothing is seeked: the stream is read once, from its start.
    pub fn from_reader(
        name: impl AsRef<Path>,
        reader: impl Read + Send + 'static,
    ) -> Result<FileSource, SourceError> {
        let path = name.as_ref().to_path_buf();
        let mut input: Box<dyn Read + Send> = Box::new(reader);
        let mut head = [0u8; pcap::FILE_HEADER];
        let mut compression = None;
        let error = |offset: u64, message: String, compression| SourceError {
            path: path.clone(),
            offset,
            message,
            compression,
        };
        let mut got = read_up_to(&mut input, &mut head)
            .map_err(|e| error(0, format!("cannot read: {e}"), None))?;
        if let Some(c) = Compression::detect(&head[..got]) {
            // The decompressor reads the bytes already read, then the rest.
            let read = io::Cursor::new(head[..got].to_vec()).chain(input);
            input = c.decoder(Box::new(read));
            compression = Some(c);
            got = read_up_to(&mut input, &mut head).map_err(|e| {
                error(
                    0,
                    format!("cannot decompress ({}): {e}", c.name()),
                    compression,
                )
            })?;
        }
        let (format, start) = recognise(&path, &head[..got], compression)?;
        let mut chunks = Chunks::new(input, &head[..got]);
        chunks.consume(start);
        Ok(FileSource {
            path,
            format,
            chunks,
            compression,
            limit: None,
        })
    }

    /// Hands over at most `frames` frames, then ends as if the capture ended (tshark's `-c`).
    pub fn limit(&mut self, frames: u64) {
        self.limit = Some(frames);
    }

    /// The compression the capture came in, if any.
    pub fn compression(&self) -> Option<Compression> {
        self.compression
    }

    /// Calls `each` with every frame in order until the file ends or `each` breaks.
    /// A record that cannot be read stops the file with an error naming its offset; the frames
    /// before it have been handed over.
    pub fn for_each_frame(
        &mut self,
        each: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        let Some(limit) = self.limit else {
            return self.frames(each);
        };
        // Only a limited source pays for counting.
        let mut left = limit;
        if left == 0 {
            return Ok(());
        }
        let result = self.frames(&mut |frame| {
            left -= 1;
            match each(frame) {
                ControlFlow::Continue(()) if left > 0 => ControlFlow::Continue(()),
                _ => ControlFlow::Break(()),
            }
        });
        self.limit = Some(left);
        result
    }

    fn frames(
        &mut self,
        each: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        let path = &self.path;
        let compression = self.compression;
        let error = |offset: u64, message: String| SourceError {
            path: path.clone(),
            offset,
            message,
            compression,
        };
        let io = |offset: u64, e: io::Error| error(offset, read_error(compression, &e));
        let chunks = &mut self.chunks;
        match &mut self.format {
            Format::Pcap(header) => loop {
                let at = chunks.offset();
                let head = chunks.peek(pcap::RECORD_HEADER).map_err(|e| io(at, e))?;
                if head.is_empty() {
                    break;
                }
                if head.len() < pcap::RECORD_HEADER {
                    return Err(error(
                        at,
                        format!("the file ends inside a record header {CUT}"),
                    ));
                }
                let record = pcap::record(header, head);
                let total = pcap::RECORD_HEADER + record.captured as usize;
                if total > CHUNK {
                    return Err(error(
                        at,
                        format!(
                            "record claims {} captured bytes: not a pcap record",
                            record.captured
                        ),
                    ));
                }
                let bytes = chunks.peek(total).map_err(|e| io(at, e))?;
                if bytes.len() < total {
                    return Err(error(at, format!("the file ends inside a record {CUT}")));
                }
                let flow = each(Frame {
                    ts: record.ts,
                    link: header.link,
                    data: &bytes[pcap::RECORD_HEADER..],
                    orig_len: record.orig_len,
                    interface: None,
                });
                chunks.consume(total);
                if flow.is_break() {
                    break;
                }
            },
            Format::PcapNg {
                order,
                interfaces,
                name_bytes,
            } => loop {
                let at = chunks.offset();
                let head = chunks.peek(12).map_err(|e| io(at, e))?;
                if head.is_empty() {
                    break;
                }
                if head.len() < 8 {
                    return Err(error(at, format!("the file ends inside a block {CUT}")));
                }
                if head[..4] == pcapng::SECTION_HEADER.to_le_bytes() {
                    *order = Some(pcapng::section_order(head).ok_or_else(|| {
                        error(at, "section header with an unknown byte-order magic".into())
                    })?);
                }
                let Some(o) = *order else {
                    return Err(error(
                        at,
                        "the file does not start with a section header".into(),
                    ));
                };
                let len = o.u32(head, 4) as usize;
                if len < 12 || len % 4 != 0 || len > CHUNK {
                    return Err(error(
                        at,
                        format!("block claims a length of {len} bytes (a block has 12 to {CHUNK}, a multiple of 4)"),
                    ));
                }
                let bytes = chunks.peek(len).map_err(|e| io(at, e))?;
                if bytes.len() < len {
                    return Err(error(at, format!("the file ends inside a block {CUT}")));
                }
                let trailing = o.u32(bytes, len - 4) as usize;
                if trailing != len {
                    return Err(error(
                        at,
                        format!("block length fields disagree ({len} at the start, {trailing} at the end)"),
                    ));
                }
                let snaplen0 = interfaces.first().map(|i| i.snaplen);
                let block = pcapng::block(o, bytes, snaplen0).map_err(|m| error(at, m))?;
                let frame = match block {
                    Block::Section => {
                        interfaces.clear();
                        *name_bytes = 0;
                        None
                    }
                    Block::Interface(mut interface) => {
                        // A hostile file may describe 200,000 interfaces with long names: past
                        // a total, interfaces are kept without theirs.
                        let name = interface.name.as_ref().map_or(0, String::len);
                        if *name_bytes + name > NAME_BYTES {
                            interface.name = None;
                        } else {
                            *name_bytes += name;
                        }
                        interfaces.push(interface);
                        None
                    }
                    Block::Packet {
                        interface,
                        ts,
                        data,
                        orig_len,
                    } => {
                        let Some(i) = interfaces.get(interface as usize) else {
                            let count = interfaces.len();
                            return Err(error(at, format!("packet names interface {interface}, but the section describes {count}")));
                        };
                        Some(Frame {
                            ts: i.time(ts),
                            link: i.link,
                            data,
                            orig_len,
                            interface: i.name.as_deref(),
                        })
                    }
                    Block::Simple { data, orig_len } => {
                        let Some(i) = interfaces.first() else {
                            return Err(error(
                                at,
                                "simple packet block before any interface description".into(),
                            ));
                        };
                        Some(Frame {
                            ts: Duration::ZERO,
                            link: i.link,
                            data,
                            orig_len,
                            interface: i.name.as_deref(),
                        })
                    }
                    Block::Other => None,
                };
                let flow = frame.map_or(ControlFlow::Continue(()), &mut *each);
                chunks.consume(len);
                if flow.is_break() {
                    break;
                }
            },
        }
        Ok(())
    }
}

/// What a failed read means: of a file, the system's error; of a decompressor, a cut or
/// corrupt compressed stream.
fn read_error(compression: Option<Compression>, e: &io::Error) -> String {
    match compression {
        None => format!("read error: {e}"),
        Some(c) if e.kind() == io::ErrorKind::UnexpectedEof => {
            format!("the {} data ends early {CUT}", c.name())
        }
        Some(c) => format!("cannot decompress ({}): {e}", c.name()),
    }
}

/// The format of a capture from its first bytes (`head`, up to a pcap file header's worth),
/// and where its records start; an error naming the file otherwise.
fn recognise(
    path: &Path,
    head: &[u8],
    compression: Option<Compression>,
) -> Result<(Format, usize), SourceError> {
    let got = head.len();
    let error = |offset: u64, message: String, compression| SourceError {
        path: path.to_owned(),
        offset,
        message,
        compression,
    };
    let inside = compression.map_or(String::new(), |c| format!(" inside the {} data", c.name()));
    if got < 4 {
        return Err(error(
            0,
            match compression {
                None => {
                    format!("file is {got} bytes long: too short to be a pcap or pcapng file")
                }
                Some(_) => {
                    format!("{got} bytes{inside}: too short to be a pcap or pcapng file")
                }
            },
            compression,
        ));
    }
    let (format, start) = if let Some(header) = pcap::file_header(&head[..got]) {
        (Format::Pcap(header), pcap::FILE_HEADER)
    } else if head[..4] == pcapng::SECTION_HEADER.to_le_bytes() {
        (
            Format::PcapNg {
                order: None,
                interfaces: Vec::new(),
                name_bytes: 0,
            },
            0,
        )
    } else if pcap::magic(head).is_some() {
        // A pcap magic number, but fewer bytes than the file header needs.
        return Err(error(
            0,
            format!("the file ends inside the pcap file header {CUT}"),
            compression,
        ));
    } else {
        return Err(error(
            0,
            format!(
                "not a pcap or pcapng file{inside} (magic {:02x}{:02x}{:02x}{:02x}); save it from Wireshark as pcapng",
                head[0], head[1], head[2], head[3]
            ),
            compression,
        ));
    };
    Ok((format, start))
}

fn read_up_to(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
