//! Writes frames to a pcapng file: one section, one interface (its name, link type, snapshot
//! length and nanosecond `if_tsresol`), an enhanced packet block per frame. What live capture's
//! `-w` writes; tshark, Wireshark and `labcap replay` read it back.

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
}

impl PcapngWriter {
    /// Creates `path` with the section and interface headers.
    pub fn create(
        path: &Path,
        link: LinkType,
        iface: &str,
        snaplen: u32,
    ) -> anyhow::Result<PcapngWriter> {
        let file = File::create(path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        let mut writer = PcapNgWriter::new(BufWriter::new(file))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::from(link.0),
            snaplen,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Owned(iface.to_string())),
                InterfaceDescriptionOption::IfTsResol(InterfaceTsResolution::NANO),
            ],
        };
        writer
            .write_pcapng_block(interface)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(PcapngWriter {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Appends one frame.
    pub fn write(&mut self, frame: &Frame<'_>) -> anyhow::Result<()> {
        let block = EnhancedPacketBlock {
            interface_id: 0,
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
}
