//! One direction of a TLS connection read up to where it turns to ciphertext: records framed
//! from the in-order bytes, handshake messages gathered across records, and what the course
//! asks of them taken out (SNI, versions, ALPN, cipher, the server's certificate). Parsing by
//! tls-parser and x509-parser; anything they reject ends the reading of that direction.

use crate::analysis::memory::heap;
use tls_parser::{
    parse_tls_extensions, parse_tls_message_handshake, TlsCipherSuite, TlsExtension, TlsMessage,
    TlsMessageHandshake,
};

/// Record types.
const HANDSHAKE: u8 = 22;
const CHANGE_CIPHER_SPEC: u8 = 20;
/// Bytes held at most for one record or handshake message (a certificate chain fits).
const MAX_HELD: usize = 256 * 1024;

/// What one side said in clear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    /// Server name indication (client).
    pub sni: Option<String>,
    /// Versions offered (client: supported_versions, else the hello's) or chosen (server).
    pub versions: Vec<u16>,
    /// ALPN protocols offered (client) or chosen (server).
    pub alpn: Vec<String>,
    /// The cipher suite chosen (server).
    pub cipher: Option<u16>,
    /// The server certificate's subject, when it was sent in clear (TLS 1.2 and older).
    pub cert_subject: Option<String>,
    /// Its subject alternative names (`DNS:…`, `IP:…`).
    pub cert_san: Vec<String>,
    /// A hello was read.
    pub seen: bool,
}

impl Hello {
    /// Bytes its texts and lists hold, as heap blocks.
    pub fn held(&self) -> usize {
        let text = |s: &String| heap(s.capacity());
        self.sni.as_ref().map_or(0, text)
            + self.cert_subject.as_ref().map_or(0, text)
            + heap(self.versions.capacity() * std::mem::size_of::<u16>())
            + [&self.alpn, &self.cert_san]
                .iter()
                .map(|list| {
                    heap(list.capacity() * std::mem::size_of::<String>())
                        + list.iter().map(text).sum::<usize>()
                })
                .sum::<usize>()
    }
}

/// Reads one direction.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    record: Vec<u8>,
    handshake: Vec<u8>,
    done: bool,
    /// What was read.
    pub hello: Hello,
}

impl Reader {
    /// Bytes held: a partial record and a partial handshake message.
    pub fn held(&self) -> usize {
        self.record.capacity() + self.handshake.capacity()
    }
}

/// `TLS 1.2` for 0x0303.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The IANA name of a cipher suite, or its number.
pub fn cipher_name(id: u16) -> String {
    TlsCipherSuite::from_id(id).map_or_else(|| format!("0x{id:04x}"), |c| c.name.to_string())
}

/// True when `data` starts like a TLS record carrying a handshake (a ClientHello opens).
pub fn opens_tls(data: &[u8]) -> bool {
    data.len() >= 3 && data[0] == HANDSHAKE && data[1] == 3 && data[2] <= 4
}

impl Reader {
    /// Feeds in-order bytes of the direction.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.done {
            if self.record.len() < 5 {
                let take = (5 - self.record.len()).min(data.len());
                self.record.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.record.len() < 5 {
                    return;
                }
                if self.record[1] != 3 {
                    self.done = true; // not TLS
                    return;
                }
            }
            let len = usize::from(u16::from_be_bytes([self.record[3], self.record[4]]));
            let want = 5 + len - (self.record.len().min(5 + len));
            let take = want.min(data.len());
            self.record.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.record.len() < 5 + len {
                return;
            }
            let record = std::mem::take(&mut self.record);
            match record[0] {
                HANDSHAKE => {
                    self.handshake.extend_from_slice(&record[5..]);
                    self.messages();
                }
                // After ChangeCipherSpec (or any other record) the rest is ciphertext.
                CHANGE_CIPHER_SPEC => self.done = true,
                _ => self.done = true,
            }
            if self.handshake.len() > MAX_HELD {
                self.done = true;
            }
        }
    }

    /// Reads the complete handshake messages gathered so far.
    fn messages(&mut self) {
        loop {
            if self.handshake.len() < 4 {
                return;
            }
            let len = (usize::from(self.handshake[1]) << 16)
                | (usize::from(self.handshake[2]) << 8)
                | usize::from(self.handshake[3]);
            if self.handshake.len() < 4 + len {
                return;
            }
            let message: Vec<u8> = self.handshake.drain(..4 + len).collect();
            match parse_tls_message_handshake(&message) {
                Ok((_, TlsMessage::Handshake(h))) => self.read(h),
                _ => {
                    self.done = true;
                    return;
                }
            }
        }
    }

    fn read(&mut self, message: TlsMessageHandshake<'_>) {
        let hello = &mut self.hello;
        match message {
            TlsMessageHandshake::ClientHello(ch) => {
                hello.seen = true;
                hello.versions = vec![ch.version.0];
                read_extensions(ch.ext, hello);
            }
            TlsMessageHandshake::ServerHello(sh) => {
                hello.seen = true;
                hello.versions = vec![sh.version.0];
                hello.cipher = Some(sh.cipher.0);
                read_extensions(sh.ext, hello);
                // TLS 1.3 encrypts everything after the ServerHello.
                if hello.versions == [0x0304] {
                    self.done = true;
                }
            }
            TlsMessageHandshake::Certificate(c) => {
                if let Some(first) = c.cert_chain.first() {
                    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(first.data) {
                        hello.cert_subject = Some(cert.subject().to_string());
                        if let Ok(Some(san)) = cert.subject_alternative_name() {
                            for name in &san.value.general_names {
                                if let Some(text) = general_name(name) {
                                    hello.cert_san.push(text);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn general_name(name: &x509_parser::extensions::GeneralName<'_>) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    match name {
        GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => Some(format!(
                "IP:{}",
                std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])
            )),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(bytes);
                Some(format!("IP:{}", std::net::Ipv6Addr::from(a)))
            }
            _ => None,
        },
        GeneralName::RFC822Name(m) => Some(format!("email:{m}")),
        GeneralName::URI(u) => Some(format!("URI:{u}")),
        _ => None,
    }
}

/// SNI, supported versions and ALPN from a hello's extensions.
fn read_extensions(ext: Option<&[u8]>, hello: &mut Hello) {
    let Some(Ok((_, list))) = ext.map(parse_tls_extensions) else {
        return;
    };
    for e in list {
        match e {
            TlsExtension::SNI(names) => {
                if let Some((_, name)) = names.first() {
                    hello.sni = Some(String::from_utf8_lossy(name).into_owned());
                }
            }
            TlsExtension::SupportedVersions(v) => {
                // GREASE values (0x?a?a) are not versions.
                hello.versions = v
                    .iter()
                    .map(|v| v.0)
                    .filter(|v| v & 0x0f0f != 0x0a0a)
                    .collect();
            }
            TlsExtension::ALPN(protocols) => {
                hello.alpn = protocols
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
            }
            _ => {}
        }
    }
}
