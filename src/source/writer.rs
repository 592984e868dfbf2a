//! Writes frames to a pcapng file: one section, an interface description per link type and
//! interface name the frames come with (its name, link type, snapshot length and nanosecond
//! `if_tsresol`), an enhanced packet block per frame. What live capture's and replay's `-w`
//! write; tshark, Wireshark and `labcap replay` read it back.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption, InterfaceTsResolution,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

use super::{Frame, LinkType};

/// A pcapng file being written.
pub struct PcapngWriter {
    path: PathBuf,
    writer: PcapNgWriter<BufWriter<File>>,
    /// The interfaces described so far, by index: link type and name.
    interfaces: Vec<(LinkType, Option<String>)>,
    /// The index the last frame used (frames mostly come from one interface).
    last: usize,
    snaplen: u32,
}

impl PcapngWriter {
    /// Creates `path` with the section header and one interface, `iface` of link type `link`
    /// (a live capture's).
    pub fn create(
        path: &Path,
        link: LinkType,
        iface: &str,
        snaplen: u32,
    ) -> anyhow::Result<PcapngWriter> {
        let mut w = PcapngWriter::new(path, snaplen)?;
        w.interface(link, Some(iface))?;
        Ok(w)
    }

    /// Creates `path` with the section header; interfaces are described as frames need them
    /// (`snaplen` 0: no limit).
    pub fn new(path: &Path, snaplen: u32) -> anyhow::Result<PcapngWriter> {
        let file = File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        let writer = PcapNgWriter::new(BufWriter::new(file))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(PcapngWriter {
            path: path.to_path_buf(),
            writer,
            interfaces: Vec::new(),
            last: 0,
            snaplen,
        })
    }

    /// The index of the interface for `link` and `name`, described now if it is new.
    fn interface(&mut self, link: LinkType, name: Option<&str>) -> anyhow::Result<usize> {
        let same = |(l, n): &(LinkType, Option<String>)| *l == link && n.as_deref() == name;
        if self.interfaces.get(self.last).is_some_and(same) {
            return Ok(self.last);
        }
        if let Some(i) = self.interfaces.iter().position(same) {
            self.last = i;
            return Ok(i);
        }
        let mut options = vec![InterfaceDescriptionOption::IfTsResol(
            InterfaceTsResolution::NANO,
        )];
        if let Some(name) = name {
            options.insert(
                0,
                InterfaceDescriptionOption::IfName(Cow::Owned(name.into())),
            );
        }
        let block = InterfaceDescriptionBlock {
            linktype: DataLink::from(link.0),
            snaplen: self.snaplen,
            options,
        };
        self.writer
            .write_pcapng_block(block)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?;
        self.interfaces.push((link, name.map(str::to_string)));
        self.last = self.interfaces.len() - 1;
        Ok(self.last)
    }

    /// Appends one frame, on the interface of its link type and name.
    pub fn write(&mut self, frame: &Frame<'_>) -> anyhow::Result<()> {
        let interface_id = self.interface(frame.link, frame.interface)? as u32;
        let block = EnhancedPacketBlock {
            interface_id,
            timestamp: frame.ts,
            original_len: frame.orig_len.max(frame.data.len() as u32),
            data: Cow::Borrowed(frame.data),
            options: Vec::new(),
        };
        self.writer
            .write_pcapng_block(block)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?;
        Ok(())
    }

    /// Flushes what is buffered to the file.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.writer
            .get_mut()
            .flush()
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileSource;
    use std::ops::ControlFlow;
    use std::time::Duration;

    #[test]
    fn frames_read_back_to_the_nanosecond() {
        let path =
            std::env::temp_dir().join(format!("labcap-writer-{}.pcapng", std::process::id()));
        let mut w = PcapngWriter::create(&path, LinkType::LINUX_SLL, "any", 262_144).unwrap();
        let ts = Duration::new(1_764_000_000, 123_456_789);
        let data = [1u8, 2, 3, 4, 5];
        w.write(&Frame {
            ts,
            link: LinkType::LINUX_SLL,
            data: &data,
            orig_len: 9,
            interface: Some("any"),
        })
        .unwrap();
        w.finish().unwrap();
        let mut seen = Vec::new();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |f| {
                seen.push((
                    f.ts,
                    f.link,
                    f.data.to_vec(),
                    f.orig_len,
                    f.interface.map(str::to_string),
                ));
                ControlFlow::Continue(())
            })
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            seen,
            vec![(
                ts,
                LinkType::LINUX_SLL,
                data.to_vec(),
                9,
                Some("any".to_string())
            )]
        );
    }

    #[test]
    fn each_link_type_and_interface_gets_its_description() {
        let path =
            std::env::temp_dir().join(format!("labcap-writer-mixed-{}.pcapng", std::process::id()));
        let mut w = PcapngWriter::new(&path, 0).unwrap();
        let frames = [
            (LinkType::ETHERNET, None, 1u64),
            (LinkType::LINUX_SLL, Some("any"), 2),
            (LinkType::ETHERNET, None, 3),
            (LinkType::LINUX_SLL, Some("lo"), 4),
        ];
        for (link, interface, secs) in frames {
            w.write(&Frame {
                ts: Duration::new(secs, 7),
                link,
                data: &[0xaa; 20],
                orig_len: 20,
                interface,
            })
            .unwrap();
        }
        w.finish().unwrap();
        let mut seen = Vec::new();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |f| {
                seen.push((f.link, f.interface.map(str::to_string), f.ts.as_secs()));
                ControlFlow::Continue(())
            })
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let want: Vec<_> = frames
            .iter()
            .map(|(l, i, s)| (*l, i.map(str::to_string), *s))
            .collect();
        assert_eq!(seen, want);
    }
}
