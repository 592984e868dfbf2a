//! The observers checks ask for, and what each hands back at the end of a capture.

mod dns_name;
mod payload;
mod segments;

pub use dns_name::{DnsName, NameStats};
pub use payload::{PayloadFound, PayloadText};
pub use segments::{SegmentSizes, SegmentsSeen};

/// What one observer saw over a whole capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// Streams whose client→server bytes contain a text.
    Payload(PayloadFound),
    /// The server's data segment sizes against the expected ones.
    ServerSegments(SegmentsSeen),
    /// What became of the lookups of one name.
    DnsName(NameStats),
}
