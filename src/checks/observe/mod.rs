//! The observers checks ask for, and what each hands back at the end of a capture.

mod conversation;
mod datagrams;
mod dns_name;
mod exchange;
mod http;
mod payload;
mod segments;
mod tls;

pub use conversation::{ConversationRule, Conversations, ConversationsSeen};
pub use datagrams::{DatagramsSeen, DatagramsTo};
pub use dns_name::{DnsName, NameStats};
pub use exchange::{sha256_hex, ExchangeRule, ExchangesSeen};
pub use http::{HttpRule, HttpSeen};
pub use payload::PayloadText;
pub use segments::{SegmentSizes, SegmentsSeen};
pub use tls::{TlsRule, TlsSeen};

/// What one observer saw over a whole capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// Streams whose client→server bytes contain a text.
    Payload(crate::analysis::Examples<u32>),
    /// The server's data segment sizes against the expected ones.
    ServerSegments(SegmentsSeen),
    /// What became of the lookups of one name.
    DnsName(NameStats),
    /// Exchanges whose request matched a pattern.
    Exchanges(ExchangesSeen),
    /// Conversations judged as a whole.
    Conversations(ConversationsSeen),
    /// Datagrams that reached a UDP port.
    Datagrams(DatagramsSeen),
    /// HTTP transactions judged.
    HttpChecked(HttpSeen),
    /// TLS sessions judged.
    TlsChecked(TlsSeen),
    /// The HTTP analyzer's results and its observers'.
    Http(Box<crate::analysis::http::HttpResult>),
    /// The followed stream's bytes.
    Follow(crate::analysis::follow::Followed),
    /// The TLS analyzer's results and its observers'.
    Tls(Box<crate::analysis::tls::TlsResult>),
    /// The messages analyzer's results and its observers'.
    Messages(Box<crate::analysis::messages::MessagesResult>),
}
