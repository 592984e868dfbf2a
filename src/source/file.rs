//! Capture files: pcap (µs and ns, either byte order) and pcapng (any number of
//! sections and interfaces, mixed link types, `if_tsresol` honoured), streamed.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::chunks::{Chunks, CHUNK};
use super::pcap::{self, FileHeader, Order};
use super::pcapng::{self, Block, Interface};
use super::Frame;

/// A capture file that cannot be read (further), with the byte offset where it went wrong.
#[derive(Debug)]
pub struct SourceError {
    /// The file.
    pub path: PathBuf,
    /// Byte offset of the record that could not be read.
    pub offset: u64,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: offset {}: {}",
            self.path.display(),
            self.offset,
            self.message
        )
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
    },
}

/// A streaming reader over one pcap or pcapng file. Records are parsed in place from large
/// chunks of the file; frames borrow their bytes from the chunk.
pub struct FileSource {
    path: PathBuf,
    format: Format,
    chunks: Chunks,
}

const CUT: &str = "(cut short while copying or capturing?)";

impl FileSource {
    /// Opens `path`, recognising the format by its magic number.
    pub fn open(path: &Path) -> Result<FileSource, SourceError> {
        let error = |offset: u64, message: String| SourceError {
            path: path.to_owned(),
            offset,
            message,
        };
        let mut file = File::open(path).map_err(|e| error(0, format!("cannot open: {e}")))?;
        let mut head = [0u8; pcap::FILE_HEADER];
        let got =
            read_up_to(&mut file, &mut head).map_err(|e| error(0, format!("cannot read: {e}")))?;
        if got < 4 {
            return Err(error(
                0,
                format!("file is {got} bytes long: too short to be a pcap or pcapng file"),
            ));
        }
        let (format, start) = if let Some(header) = pcap::file_header(&head[..got]) {
            (Format::Pcap(header), pcap::FILE_HEADER)
        } else if head[..4] == pcapng::SECTION_HEADER.to_le_bytes() {
            (
                Format::PcapNg {
                    order: None,
                    interfaces: Vec::new(),
                },
                0,
            )
        } else if pcap::magic(&head).is_some() {
            // A pcap magic number, but fewer bytes than the file header needs.
            return Err(error(
                0,
                format!("the file ends inside the pcap file header {CUT}"),
            ));
        } else {
            return Err(error(
                0,
                format!(
                    "not a pcap or pcapng file (magic {:02x}{:02x}{:02x}{:02x}); save it from Wireshark as pcapng",
                    head[0], head[1], head[2], head[3]
                ),
            ));
        };
        file.seek(SeekFrom::Start(start as u64))
            .map_err(|e| error(0, format!("cannot read: {e}")))?;
        Ok(FileSource {
            path: path.to_owned(),
            format,
            chunks: Chunks::new(file, start as u64),
        })
    }

    /// Calls `each` with every frame in order until the file ends or `each` breaks.
    /// A record that cannot be read stops the file with an error naming its offset; the frames
    /// before it have been handed over.
    pub fn for_each_frame(
        &mut self,
        each: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        let path = &self.path;
        let error = |offset: u64, message: String| SourceError {
            path: path.clone(),
            offset,
            message,
        };
        let io = |offset: u64, e: io::Error| error(offset, format!("read error: {e}"));
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
            Format::PcapNg { order, interfaces } => loop {
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
                        None
                    }
                    Block::Interface(interface) => {
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

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}
