//! Capture files: pcap (µs and ns, either byte order) and pcapng (any number of
//! sections and interfaces, mixed link types, `if_tsresol` honoured), streamed.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::{PcapReadError, PcapReader};
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReadError, PcapNgReader};

use super::{Frame, LinkType};

/// How many bytes the readers buffer; also the largest record they accept.
const READ_BUFFER: usize = 8 << 20;

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

/// The pcapng interface table of the current section.
struct Interface {
    link: LinkType,
    name: Option<String>,
}

enum Format {
    Pcap {
        reader: PcapReader<File>,
        link: LinkType,
        /// Offset of the next record: the header, then 16 bytes plus data per record.
        offset: u64,
    },
    PcapNg {
        reader: PcapNgReader<File>,
        interfaces: Vec<Interface>,
    },
}

/// A streaming reader over one pcap or pcapng file.
pub struct FileSource {
    path: PathBuf,
    format: Format,
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

impl FileSource {
    /// Opens `path`, recognising the format by its magic number.
    pub fn open(path: &Path) -> Result<FileSource, SourceError> {
        let error = |offset: u64, message: String| SourceError {
            path: path.to_owned(),
            offset,
            message,
        };
        let mut file = File::open(path).map_err(|e| error(0, format!("cannot open: {e}")))?;
        let mut magic = [0u8; 4];
        let got =
            read_up_to(&mut file, &mut magic).map_err(|e| error(0, format!("cannot read: {e}")))?;
        let file = File::open(path).map_err(|e| error(0, format!("cannot open: {e}")))?;
        if got < 4 {
            return Err(error(
                0,
                format!("file is {got} bytes long: too short to be a pcap or pcapng file"),
            ));
        }
        let format = if PCAP_MAGICS.contains(&magic) {
            let reader = PcapReader::with_capacity(file, READ_BUFFER)
                .map_err(|e| error(0, pcap_message(&e, "file header")))?;
            let link = LinkType(u32::from(reader.header().datalink));
            Format::Pcap {
                reader,
                link,
                offset: 24,
            }
        } else if magic == PCAPNG_MAGIC {
            let reader = PcapNgReader::with_capacity(file, READ_BUFFER)
                .map_err(|e| error(0, pcapng_message(&e)))?;
            Format::PcapNg {
                reader,
                interfaces: Vec::new(),
            }
        } else {
            return Err(error(
                0,
                format!(
                    "not a pcap or pcapng file (magic {:02x}{:02x}{:02x}{:02x}); save it from Wireshark as pcapng",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            ));
        };
        Ok(FileSource {
            path: path.to_owned(),
            format,
        })
    }

    /// The file this source reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `each` with every frame in order until the file ends or `each` breaks.
    /// A record that cannot be read stops the file with an error naming its offset; the frames
    /// before it have been handed over.
    pub fn for_each_frame(
        &mut self,
        each: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        let error = |offset: u64, message: String| SourceError {
            path: self.path.clone(),
            offset,
            message,
        };
        match &mut self.format {
            Format::Pcap {
                reader,
                link,
                offset,
            } => {
                while let Some(next) = reader.next_packet() {
                    let packet = next.map_err(|e| error(*offset, pcap_message(&e, "record")))?;
                    *offset += 16 + packet.data().len() as u64;
                    let frame = Frame {
                        ts: packet.timestamp(),
                        link: *link,
                        orig_len: packet.orig_len(),
                        data: packet.data(),
                        interface: None,
                    };
                    if each(frame).is_break() {
                        break;
                    }
                }
            }
            Format::PcapNg { reader, interfaces } => loop {
                let at = reader.bytes_parsed();
                let Some(next) = reader.next_block() else {
                    break;
                };
                let (block, _state) = next.map_err(|e| error(at, pcapng_message(&e)))?;
                let (interface_id, ts, orig_len, data) = match block {
                    Block::SectionHeader(_) => {
                        interfaces.clear();
                        continue;
                    }
                    Block::InterfaceDescription(idb) => {
                        let name = idb.options.iter().find_map(|option| match option {
                            InterfaceDescriptionOption::IfName(name) => Some(name.to_string()),
                            _ => None,
                        });
                        interfaces.push(Interface {
                            link: LinkType(u32::from(idb.linktype)),
                            name,
                        });
                        continue;
                    }
                    Block::EnhancedPacket(epb) => {
                        (epb.interface_id, epb.timestamp, epb.original_len, epb.data)
                    }
                    Block::SimplePacket(spb) => (0, Duration::ZERO, spb.original_len, spb.data),
                    Block::Packet(pb) => (
                        u32::from(pb.interface_id),
                        pb.timestamp,
                        pb.original_len,
                        pb.data,
                    ),
                    _ => continue,
                };
                let Some(interface) = interfaces.get(interface_id as usize) else {
                    let count = interfaces.len();
                    return Err(error(at, format!("packet names interface {interface_id}, but the section describes {count}")));
                };
                let frame = Frame {
                    ts,
                    link: interface.link,
                    data: &data,
                    orig_len,
                    interface: interface.name.as_deref(),
                };
                if each(frame).is_break() {
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

fn io_message(e: &io::Error, what: &str) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        format!("the file ends inside a {what} (cut short while copying or capturing?), or the {what} claims more than {} MiB", READ_BUFFER >> 20)
    } else {
        format!("read error: {e}")
    }
}

fn pcap_message(e: &PcapReadError, what: &str) -> String {
    match e {
        PcapReadError::Io(io) => io_message(io, what),
        other => format!("invalid {what}: {}", error_chain(other)),
    }
}

fn pcapng_message(e: &PcapNgReadError) -> String {
    match e {
        PcapNgReadError::Io(io) => io_message(io, "block"),
        other => format!("invalid block: {}", error_chain(other)),
    }
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
