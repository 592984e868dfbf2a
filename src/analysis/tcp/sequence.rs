//! Sequence analysis of one direction of a TCP connection, after Wireshark's
//! `tcp_analyze_sequence_number`: retransmissions, out-of-order and lost segments,
//! duplicate ACKs, keep-alives, zero windows and window updates.

use std::time::Duration;

/// Wireshark's `tcp.analysis.*` findings for one segment, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findings(pub u16);

impl Findings {
    /// `tcp.analysis.retransmission`
    pub const RETRANSMISSION: u16 = 1 << 0;
    /// `tcp.analysis.fast_retransmission`
    pub const FAST_RETRANSMISSION: u16 = 1 << 1;
    /// `tcp.analysis.spurious_retransmission`
    pub const SPURIOUS_RETRANSMISSION: u16 = 1 << 2;
    /// `tcp.analysis.out_of_order`
    pub const OUT_OF_ORDER: u16 = 1 << 3;
    /// `tcp.analysis.lost_segment`: the capture missed a segment before this one.
    pub const LOST_SEGMENT: u16 = 1 << 4;
    /// `tcp.analysis.duplicate_ack`
    pub const DUP_ACK: u16 = 1 << 5;
    /// `tcp.analysis.zero_window`
    pub const ZERO_WINDOW: u16 = 1 << 6;
    /// `tcp.analysis.keep_alive`
    pub const KEEP_ALIVE: u16 = 1 << 7;
    /// `tcp.analysis.window_update`
    pub const WINDOW_UPDATE: u16 = 1 << 8;
    /// `tcp.analysis.zero_window_probe`
    pub const ZERO_WINDOW_PROBE: u16 = 1 << 9;

    /// Labels as Wireshark's Info column shows them, in its order.
    const LABELS: [(u16, &'static str); 10] = [
        (Self::LOST_SEGMENT, "TCP Previous segment not captured"),
        (Self::SPURIOUS_RETRANSMISSION, "TCP Spurious Retransmission"),
        (Self::FAST_RETRANSMISSION, "TCP Fast Retransmission"),
        (Self::RETRANSMISSION, "TCP Retransmission"),
        (Self::OUT_OF_ORDER, "TCP Out-Of-Order"),
        (Self::DUP_ACK, "TCP Dup ACK"),
        (Self::ZERO_WINDOW_PROBE, "TCP ZeroWindowProbe"),
        (Self::ZERO_WINDOW, "TCP ZeroWindow"),
        (Self::KEEP_ALIVE, "TCP Keep-Alive"),
        (Self::WINDOW_UPDATE, "TCP Window Update"),
    ];

    /// Short names for tables and JSON.
    const NAMES: [(u16, &'static str); 10] = [
        (Self::RETRANSMISSION, "retransmission"),
        (Self::FAST_RETRANSMISSION, "fast_retransmission"),
        (Self::SPURIOUS_RETRANSMISSION, "spurious_retransmission"),
        (Self::OUT_OF_ORDER, "out_of_order"),
        (Self::LOST_SEGMENT, "lost_segment"),
        (Self::DUP_ACK, "duplicate_ack"),
        (Self::ZERO_WINDOW, "zero_window"),
        (Self::KEEP_ALIVE, "keep_alive"),
        (Self::WINDOW_UPDATE, "window_update"),
        (Self::ZERO_WINDOW_PROBE, "zero_window_probe"),
    ];

    /// True when any bit of `mask` is set.
    pub fn any(self, mask: u16) -> bool {
        self.0 & mask != 0
    }

    /// True for any kind of retransmission.
    pub fn is_retransmission(self) -> bool {
        self.any(Self::RETRANSMISSION | Self::FAST_RETRANSMISSION | Self::SPURIOUS_RETRANSMISSION)
    }

    /// Wireshark's bracketed Info labels, e.g. `[TCP Retransmission] `.
    pub fn info_prefix(self) -> String {
        Self::LABELS
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, label)| format!("[{label}] "))
            .collect()
    }

    /// Short names, e.g. `["retransmission"]`.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// What one direction remembers between segments. Sequence numbers are relative.
#[derive(Clone, Debug, Default)]
pub struct SequenceState {
    /// The sequence number after the highest segment seen, and when it was seen.
    next_seq: Option<(u32, Duration)>,
    /// The last acknowledgment number sent.
    last_ack: Option<u32>,
    /// The last calculated window sent.
    window: Option<u32>,
    /// Duplicate ACKs in a row.
    dup_acks: u32,
}

/// One segment, as the analysis sees it.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    /// Capture time.
    pub ts: Duration,
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgment number (meaningful when `ack_flag`).
    pub ack: u32,
    /// Payload length.
    pub len: u32,
    /// SYN set.
    pub syn: bool,
    /// FIN set.
    pub fin: bool,
    /// RST set.
    pub rst: bool,
    /// Calculated window.
    pub window: u32,
}

fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Analyses `seg`, sent in the direction whose state is `fwd`, with `rev` the other direction.
/// `first_rtt` is the handshake's round trip, if known (the out-of-order threshold).
pub fn analyse(
    fwd: &mut SequenceState,
    rev: &SequenceState,
    seg: &Segment,
    first_rtt: Option<Duration>,
) -> Findings {
    let mut found = 0u16;
    let control = seg.syn || seg.fin || seg.rst;
    let next = fwd.next_seq.map(|(n, _)| n);
    let zero_window_probe = seg.len == 1 && Some(seg.seq) == next && rev.window == Some(0);
    if zero_window_probe {
        found |= Findings::ZERO_WINDOW_PROBE;
    } else {
        if seg.window == 0 && !control {
            found |= Findings::ZERO_WINDOW;
        }
        if let Some(next) = next {
            if seq_gt(seg.seq, next) && !seg.rst {
                found |= Findings::LOST_SEGMENT;
            }
            if seg.len <= 1 && !control && next.wrapping_sub(1) == seg.seq {
                found |= Findings::KEEP_ALIVE;
            }
        }
        let same_position =
            seg.len == 0 && !control && Some(seg.seq) == next && Some(seg.ack) == fwd.last_ack;
        if same_position && seg.window != 0 && fwd.window.is_some_and(|w| w != seg.window) {
            found |= Findings::WINDOW_UPDATE;
        }
        if same_position && seg.window != 0 && fwd.window == Some(seg.window) {
            fwd.dup_acks += 1;
            found |= Findings::DUP_ACK;
        }
    }
    if found & Findings::DUP_ACK == 0 {
        fwd.dup_acks = 0;
    }

    if let Some((next, next_time)) = fwd.next_seq {
        if (seg.len > 0 || seg.syn || seg.fin)
            && seq_lt(seg.seq, next)
            && found & Findings::KEEP_ALIVE == 0
        {
            // A segment timed before the highest one is never "recent" (Wireshark's unsigned
            // difference wraps to a huge value).
            let since = seg.ts.checked_sub(next_time).unwrap_or(Duration::MAX);
            let threshold = first_rtt
                .filter(|rtt| !rtt.is_zero())
                .unwrap_or(Duration::from_millis(3));
            found |= if since < Duration::from_millis(20)
                && rev.last_ack == Some(seg.seq)
                && rev.dup_acks >= 2
            {
                // Wireshark flags a fast retransmission as a retransmission too.
                Findings::FAST_RETRANSMISSION | Findings::RETRANSMISSION
            } else if since < threshold && seg.len > 0 && next != seg.seq.wrapping_add(seg.len) {
                Findings::OUT_OF_ORDER
            } else if !seg.syn
                && seg.len > 0
                && rev
                    .last_ack
                    .is_some_and(|acked| !seq_lt(acked, seg.seq.wrapping_add(seg.len)))
            {
                Findings::SPURIOUS_RETRANSMISSION
            } else {
                Findings::RETRANSMISSION
            };
        }
    }

    let mut end = seg.seq.wrapping_add(seg.len);
    if seg.len == 0 && (seg.syn || seg.fin) {
        end = end.wrapping_add(1);
    }
    if next.is_none_or(|n| seq_gt(end, n)) && !zero_window_probe {
        fwd.next_seq = Some((end, seg.ts));
    }
    fwd.window = Some(seg.window);
    fwd.last_ack = Some(seg.ack);
    Findings(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(ms: u64, seq: u32, ack: u32, len: u32) -> Segment {
        Segment {
            ts: Duration::from_millis(ms),
            seq,
            ack,
            len,
            syn: false,
            fin: false,
            rst: false,
            window: 1000,
        }
    }

    #[test]
    fn in_order_data_has_no_findings() {
        let (mut a, b) = (SequenceState::default(), SequenceState::default());
        assert_eq!(analyse(&mut a, &b, &seg(0, 1, 1, 10), None), Findings(0));
        assert_eq!(analyse(&mut a, &b, &seg(1, 11, 1, 10), None), Findings(0));
    }

    #[test]
    fn resent_data_is_a_retransmission_and_a_hole_is_a_lost_segment() {
        let (mut a, b) = (SequenceState::default(), SequenceState::default());
        analyse(&mut a, &b, &seg(0, 1, 1, 10), None);
        assert_eq!(
            analyse(&mut a, &b, &seg(50, 1, 1, 10), None),
            Findings(Findings::RETRANSMISSION)
        );
        assert_eq!(
            analyse(&mut a, &b, &seg(60, 31, 1, 10), None),
            Findings(Findings::LOST_SEGMENT)
        );
        // The missing piece shortly after is out of order.
        assert_eq!(
            analyse(&mut a, &b, &seg(61, 11, 1, 20), None),
            Findings(Findings::OUT_OF_ORDER)
        );
    }

    #[test]
    fn repeated_pure_acks_are_duplicates_and_enable_fast_retransmission() {
        let (mut data, mut acks) = (SequenceState::default(), SequenceState::default());
        analyse(&mut data, &acks, &seg(0, 1, 1, 10), None);
        analyse(&mut data, &acks, &seg(1, 11, 1, 10), None);
        analyse(&mut acks, &data, &seg(2, 1, 11, 0), None);
        assert_eq!(
            analyse(&mut acks, &data, &seg(3, 1, 11, 0), None),
            Findings(Findings::DUP_ACK)
        );
        assert_eq!(
            analyse(&mut acks, &data, &seg(4, 1, 11, 0), None),
            Findings(Findings::DUP_ACK)
        );
        assert_eq!(
            analyse(&mut data, &acks, &seg(5, 11, 1, 10), None),
            Findings(Findings::FAST_RETRANSMISSION | Findings::RETRANSMISSION)
        );
    }

    #[test]
    fn zero_window_and_keep_alive() {
        let (mut a, b) = (SequenceState::default(), SequenceState::default());
        let mut s = seg(0, 1, 1, 0);
        s.window = 0;
        assert_eq!(
            analyse(&mut a, &b, &s, None),
            Findings(Findings::ZERO_WINDOW)
        );
        analyse(&mut a, &b, &seg(1, 1, 1, 5), None);
        assert_eq!(
            analyse(&mut a, &b, &seg(9000, 5, 1, 1), None),
            Findings(Findings::KEEP_ALIVE)
        );
    }

    #[test]
    fn labels() {
        let f = Findings(Findings::RETRANSMISSION | Findings::LOST_SEGMENT);
        assert_eq!(
            f.info_prefix(),
            "[TCP Previous segment not captured] [TCP Retransmission] "
        );
        assert_eq!(f.names(), vec!["retransmission", "lost_segment"]);
        assert!(f.is_retransmission());
    }
}
