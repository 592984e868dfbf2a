//! Sequence analysis of one direction of a TCP connection, after Wireshark 4.0's
//! `tcp_analyze_sequence_number`, its tests in its order: zero-window probes, zero windows,
//! lost segments, keep-alives, window updates, full windows, keep-alive ACKs, zero-window-probe
//! ACKs, duplicate ACKs, ACKed unseen segments, then fast retransmissions, spurious
//! retransmissions, out-of-order segments and retransmissions.

use std::time::Duration;

/// Wireshark's `tcp.analysis.*` findings for one segment, as bits (its `ta->flags`): one of
/// the retransmission kinds at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findings(pub u16);

impl Findings {
    /// A retransmission (neither fast nor spurious).
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
    /// `tcp.analysis.ack_lost_segment`: this ACK covers data the capture did not see.
    pub const ACK_LOST_SEGMENT: u16 = 1 << 10;
    /// `tcp.analysis.keep_alive_ack`
    pub const KEEP_ALIVE_ACK: u16 = 1 << 11;
    /// `tcp.analysis.window_full`: the segment fills the receiver's window to its edge.
    pub const WINDOW_FULL: u16 = 1 << 12;
    /// `tcp.analysis.zero_window_probe_ack`
    pub const ZERO_WINDOW_PROBE_ACK: u16 = 1 << 13;
    /// `tcp.analysis.reused_ports`: a SYN starting a new connection on a used 4-tuple.
    pub const REUSED_PORTS: u16 = 1 << 14;
    /// The bits Wireshark's `tcp.analysis.retransmission` is present for: every kind.
    pub const ANY_RETRANSMISSION: u16 =
        Self::RETRANSMISSION | Self::FAST_RETRANSMISSION | Self::SPURIOUS_RETRANSMISSION;
    /// Every finding (`tcp.analysis.flags`).
    pub const ALL: u16 = (1 << 15) - 1;

    /// Wireshark's `tcp.analysis.<name>` fields and the bits each is present for.
    pub const FIELDS: [(&'static str, u16); 15] = [
        ("retransmission", Self::ANY_RETRANSMISSION),
        ("fast_retransmission", Self::FAST_RETRANSMISSION),
        ("spurious_retransmission", Self::SPURIOUS_RETRANSMISSION),
        ("out_of_order", Self::OUT_OF_ORDER),
        ("lost_segment", Self::LOST_SEGMENT),
        ("ack_lost_segment", Self::ACK_LOST_SEGMENT),
        ("duplicate_ack", Self::DUP_ACK),
        ("zero_window", Self::ZERO_WINDOW),
        ("zero_window_probe", Self::ZERO_WINDOW_PROBE),
        ("zero_window_probe_ack", Self::ZERO_WINDOW_PROBE_ACK),
        ("keep_alive", Self::KEEP_ALIVE),
        ("keep_alive_ack", Self::KEEP_ALIVE_ACK),
        ("window_update", Self::WINDOW_UPDATE),
        ("window_full", Self::WINDOW_FULL),
        ("reused_ports", Self::REUSED_PORTS),
    ];

    /// The `tcp.analysis.<name>` fields present, e.g. `["retransmission",
    /// "fast_retransmission"]`.
    pub fn names(self) -> Vec<&'static str> {
        Self::FIELDS
            .iter()
            .filter(|(_, bits)| self.any(*bits))
            .map(|(name, _)| *name)
            .collect()
    }

    /// True when any bit of `mask` is set.
    pub fn any(self, mask: u16) -> bool {
        self.0 & mask != 0
    }

    /// True for any kind of retransmission.
    pub fn is_retransmission(self) -> bool {
        self.any(Self::ANY_RETRANSMISSION)
    }
}

/// A duplicate ACK's place, as Wireshark's `[TCP Dup ACK 84#1]` gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DupAck {
    /// The frame of the last ACK that was not a duplicate (the one repeated).
    pub of_frame: u64,
    /// How many duplicates of it so far, this one included (`tcp.analysis.duplicate_ack_num`).
    pub number: u32,
}

/// What the analysis says of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The findings.
    pub findings: Findings,
    /// For a duplicate ACK, which one it is.
    pub dup_ack: Option<DupAck>,
}

/// What one direction remembers between segments (Wireshark's `tcp_analyze_seq_info`, the
/// window and the last segment's flags). Sequence numbers are relative; `None` is Wireshark's 0,
/// "not seen yet".
#[derive(Clone, Debug, Default)]
pub struct SequenceState {
    /// The sequence number after the highest segment seen, and when it was seen.
    next_seq: Option<(u32, Duration)>,
    /// The end of the data seen without a hole: what the other side may acknowledge.
    max_seq_to_be_acked: Option<u32>,
    /// The last acknowledgment number sent (ACK flag set), and when.
    last_ack: Option<(u32, Duration)>,
    /// The last window sent (scaled).
    window: Option<u32>,
    /// Duplicate ACKs of the last acknowledgment number.
    dup_acks: u32,
    /// The frame of the last ACK that changed the acknowledgment number.
    last_non_dup_ack: u64,
    /// The findings of the last segment sent.
    last_findings: Findings,
}

/// One segment, as the analysis sees it.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    /// Frame number (for the duplicate-ACK labels).
    pub frame: u64,
    /// Capture time.
    pub ts: Duration,
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgment number, when the ACK flag is set.
    pub ack: Option<u32>,
    /// Payload length.
    pub len: u32,
    /// SYN set.
    pub syn: bool,
    /// FIN set.
    pub fin: bool,
    /// RST set.
    pub rst: bool,
    /// Calculated (scaled) window.
    pub window: u32,
    /// The window scale of both sides is known (the handshake was seen): Window Full is
    /// tested only then.
    pub scale_known: bool,
}

fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Time from `then` to `now`; a moment before `then` is never "recent" (Wireshark's unsigned
/// difference wraps to a huge value).
fn since(now: Duration, then: Duration) -> Duration {
    now.checked_sub(then).unwrap_or(Duration::MAX)
}

/// Analyses `seg`, sent in the direction whose state is `fwd`, with `rev` the other direction
/// (a zero-window-probe ACK and an ACKed unseen segment move the other direction's marks).
/// `first_rtt` is the handshake's round trip, if known (the out-of-order threshold).
#[inline]
pub fn analyse(
    fwd: &mut SequenceState,
    rev: &mut SequenceState,
    seg: &Segment,
    first_rtt: Option<Duration>,
) -> Verdict {
    let mut found = 0u16;
    let mut dup_ack = None;
    let control = seg.syn || seg.fin || seg.rst;
    let next = fwd.next_seq.map(|(n, _)| n);
    let last_ack = fwd.last_ack.map(|(a, _)| a);
    let repeats_ack = seg.len == 0 && !control && Some(seg.seq) == next && seg.ack == last_ack;

    'fwd: {
        if seg.len == 1 && Some(seg.seq) == next && rev.window == Some(0) {
            found |= Findings::ZERO_WINDOW_PROBE;
            break 'fwd;
        }
        if seg.window == 0 && !control {
            found |= Findings::ZERO_WINDOW;
        }
        if next.is_some_and(|n| seq_gt(seg.seq, n)) && !seg.rst {
            found |= Findings::LOST_SEGMENT;
        }
        if seg.len <= 1 && !control && next.is_some_and(|n| n.wrapping_sub(1) == seg.seq) {
            found |= Findings::KEEP_ALIVE;
        }
        if repeats_ack && seg.window != 0 && fwd.window.is_some_and(|w| w != seg.window) {
            found |= Findings::WINDOW_UPDATE;
        }
        let window_edge = rev
            .last_ack
            .zip(rev.window)
            .map(|((ack, _), window)| ack.wrapping_add(window));
        if seg.len > 0
            && !control
            && seg.scale_known
            && window_edge == Some(seg.seq.wrapping_add(seg.len))
        {
            found |= Findings::WINDOW_FULL;
        }
        let same_window = seg.window != 0 && fwd.window == Some(seg.window);
        if repeats_ack && same_window && rev.last_findings.any(Findings::KEEP_ALIVE) {
            found |= Findings::KEEP_ALIVE_ACK;
            break 'fwd;
        }
        let probe_answered = seg.ack.is_some_and(|a| Some(a.wrapping_sub(1)) == last_ack);
        if seg.len == 0
            && !control
            && seg.window == 0
            && fwd.window == Some(0)
            && Some(seg.seq) == next
            && (seg.ack == last_ack || probe_answered)
            && rev.last_findings.any(Findings::ZERO_WINDOW_PROBE)
        {
            found |= Findings::ZERO_WINDOW_PROBE_ACK;
            // The receiver took the probe's byte: the other side's marks move past it.
            if let (true, Some(ack)) = (probe_answered, seg.ack) {
                rev.next_seq = rev.next_seq.map(|(_, t)| (ack, t));
                rev.max_seq_to_be_acked = Some(ack);
            }
            break 'fwd;
        }
        if repeats_ack && same_window {
            fwd.dup_acks = fwd.dup_acks.saturating_add(1);
            found |= Findings::DUP_ACK;
            dup_ack = Some(DupAck {
                of_frame: fwd.last_non_dup_ack,
                number: fwd.dup_acks,
            });
        }
    }
    if seg.ack != last_ack {
        fwd.last_non_dup_ack = seg.frame;
        fwd.dup_acks = 0;
    }

    if let (Some(ack), Some(max)) = (seg.ack, rev.max_seq_to_be_acked) {
        if seq_gt(ack, max) {
            found |= Findings::ACK_LOST_SEGMENT;
            rev.max_seq_to_be_acked = rev.next_seq.map(|(n, _)| n);
        }
    }

    if (seg.len > 0 || seg.syn || seg.fin) && found & Findings::KEEP_ALIVE == 0 {
        found |= retransmission_kind(fwd, rev, seg, first_rtt);
    }

    let mut end = seg.seq.wrapping_add(seg.len);
    if seg.syn || seg.fin {
        end = end.wrapping_add(1);
    }
    let probe = found & Findings::ZERO_WINDOW_PROBE != 0;
    if next.is_none_or(|n| seq_gt(end, n)) && !probe {
        fwd.next_seq = Some((end, seg.ts));
    }
    let max = fwd.max_seq_to_be_acked;
    if max.is_none_or(|m| m == seg.seq) && !probe {
        fwd.max_seq_to_be_acked = fwd.next_seq.map(|(n, _)| n);
    }
    fwd.window = Some(seg.window);
    fwd.last_ack = seg.ack.map(|a| (a, seg.ts));
    fwd.last_findings = Findings(found);
    Verdict {
        findings: Findings(found),
        dup_ack,
    }
}

/// Which kind of retransmission a segment with data (or SYN or FIN) is, if any, tested in
/// Wireshark's order: fast, spurious (data the receiver acknowledged already, even when it
/// came soon enough to be out of order), out of order, plain.
fn retransmission_kind(
    fwd: &SequenceState,
    rev: &SequenceState,
    seg: &Segment,
    first_rtt: Option<Duration>,
) -> u16 {
    let not_advanced = fwd.next_seq.filter(|&(n, _)| seq_lt(seg.seq, n));
    if let (Some(_), Some((acked, at))) = (not_advanced, rev.last_ack) {
        if rev.dup_acks >= 2 && acked == seg.seq && since(seg.ts, at) < Duration::from_millis(20) {
            return Findings::FAST_RETRANSMISSION;
        }
    }
    if seg.len > 0
        && rev
            .last_ack
            .is_some_and(|(acked, _)| !seq_gt(seg.seq.wrapping_add(seg.len), acked))
    {
        return Findings::SPURIOUS_RETRANSMISSION;
    }
    if let Some((next, at)) = not_advanced {
        let threshold = first_rtt
            .filter(|rtt| !rtt.is_zero())
            .unwrap_or(Duration::from_millis(3));
        // A segment ending where the highest one ended repeats it: not out of order.
        let end = seg
            .seq
            .wrapping_add(seg.len)
            .wrapping_add(u32::from(seg.syn || seg.fin));
        if since(seg.ts, at) < threshold && next != end {
            return Findings::OUT_OF_ORDER;
        }
    }
    if not_advanced.is_some() {
        return Findings::RETRANSMISSION;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(ms: u64, seq: u32, ack: u32, len: u32) -> Segment {
        Segment {
            frame: ms,
            ts: Duration::from_millis(ms),
            seq,
            ack: Some(ack),
            len,
            syn: false,
            fin: false,
            rst: false,
            window: 1000,
            scale_known: true,
        }
    }

    fn findings(
        fwd: &mut SequenceState,
        rev: &mut SequenceState,
        s: Segment,
        rtt: Option<Duration>,
    ) -> u16 {
        analyse(fwd, rev, &s, rtt).findings.0
    }

    #[test]
    fn in_order_data_has_no_findings() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        assert_eq!(findings(&mut a, &mut b, seg(0, 1, 1, 10), None), 0);
        assert_eq!(findings(&mut a, &mut b, seg(1, 11, 1, 10), None), 0);
    }

    #[test]
    fn resent_data_is_a_retransmission_and_a_hole_is_a_lost_segment() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        findings(&mut a, &mut b, seg(0, 1, 1, 10), None);
        assert_eq!(
            findings(&mut a, &mut b, seg(50, 1, 1, 10), None),
            Findings::RETRANSMISSION
        );
        assert_eq!(
            findings(&mut a, &mut b, seg(60, 31, 1, 10), None),
            Findings::LOST_SEGMENT
        );
        // The missing piece shortly after is out of order.
        assert_eq!(
            findings(&mut a, &mut b, seg(61, 11, 1, 20), None),
            Findings::OUT_OF_ORDER
        );
    }

    #[test]
    fn data_the_receiver_acknowledged_already_is_a_spurious_retransmission() {
        let (mut data, mut acks) = (SequenceState::default(), SequenceState::default());
        findings(&mut data, &mut acks, seg(0, 1, 1, 10), None);
        findings(&mut acks, &mut data, seg(1, 1, 11, 0), None);
        // Within the out-of-order threshold, yet acknowledged: spurious is tested first.
        assert_eq!(
            findings(
                &mut data,
                &mut acks,
                seg(2, 1, 1, 5),
                Some(Duration::from_secs(1))
            ),
            Findings::SPURIOUS_RETRANSMISSION
        );
    }

    #[test]
    fn duplicate_acks_count_until_the_ack_moves_and_enable_fast_retransmission() {
        let (mut data, mut acks) = (SequenceState::default(), SequenceState::default());
        findings(&mut data, &mut acks, seg(0, 1, 1, 10), None);
        findings(&mut data, &mut acks, seg(1, 11, 1, 10), None);
        findings(&mut acks, &mut data, seg(2, 1, 11, 0), None);
        let first = analyse(&mut acks, &mut data, &seg(3, 1, 11, 0), None);
        assert_eq!(first.findings.0, Findings::DUP_ACK);
        assert_eq!(
            first.dup_ack,
            Some(DupAck {
                of_frame: 2,
                number: 1
            })
        );
        // Data in the other direction does not reset the count.
        findings(&mut data, &mut acks, seg(4, 31, 1, 10), None);
        let second = analyse(&mut acks, &mut data, &seg(5, 1, 11, 0), None);
        assert_eq!(second.dup_ack.map(|d| d.number), Some(2));
        assert_eq!(
            findings(&mut data, &mut acks, seg(6, 11, 1, 10), None),
            Findings::FAST_RETRANSMISSION
        );
        // A new acknowledgment number starts over.
        findings(&mut acks, &mut data, seg(7, 1, 41, 0), None);
        let again = analyse(&mut acks, &mut data, &seg(8, 1, 41, 0), None);
        assert_eq!(
            again.dup_ack,
            Some(DupAck {
                of_frame: 7,
                number: 1
            })
        );
    }

    #[test]
    fn a_fin_with_data_takes_one_more_sequence_number() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        let mut fin = seg(0, 1, 1, 10);
        fin.fin = true;
        findings(&mut a, &mut b, fin, None);
        // The next segment is at 12: neither a hole nor a keep-alive.
        assert_eq!(findings(&mut a, &mut b, seg(1, 12, 5, 0), None), 0);
    }

    #[test]
    fn keep_alives_and_their_acks() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        findings(&mut a, &mut b, seg(0, 1, 1, 5), None);
        findings(&mut b, &mut a, seg(1, 1, 6, 0), None);
        assert_eq!(
            findings(&mut a, &mut b, seg(9000, 5, 1, 0), None),
            Findings::KEEP_ALIVE
        );
        assert_eq!(
            findings(&mut b, &mut a, seg(9001, 1, 6, 0), None),
            Findings::KEEP_ALIVE_ACK
        );
    }

    #[test]
    fn zero_windows_full_windows_and_updates() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        let mut small = seg(0, 1, 1, 0);
        small.window = 10;
        findings(&mut b, &mut a, small, None);
        assert_eq!(
            findings(&mut a, &mut b, seg(1, 1, 1, 10), None),
            Findings::WINDOW_FULL
        );
        let mut zero = seg(2, 1, 11, 0);
        zero.window = 0;
        assert_eq!(findings(&mut b, &mut a, zero, None), Findings::ZERO_WINDOW);
        assert_eq!(
            findings(&mut a, &mut b, seg(3, 11, 1, 1), None),
            Findings::ZERO_WINDOW_PROBE
        );
        let mut probe_ack = seg(4, 1, 11, 0);
        probe_ack.window = 0;
        assert_eq!(
            findings(&mut b, &mut a, probe_ack, None),
            Findings::ZERO_WINDOW | Findings::ZERO_WINDOW_PROBE_ACK
        );
        assert_eq!(
            findings(&mut b, &mut a, seg(5, 1, 11, 0), None),
            Findings::WINDOW_UPDATE
        );
    }

    #[test]
    fn an_ack_beyond_the_data_seen_acks_an_unseen_segment() {
        let (mut a, mut b) = (SequenceState::default(), SequenceState::default());
        findings(&mut a, &mut b, seg(0, 1, 1, 10), None);
        assert_eq!(
            findings(&mut b, &mut a, seg(1, 1, 31, 0), None),
            Findings::ACK_LOST_SEGMENT
        );
        assert_eq!(findings(&mut b, &mut a, seg(2, 1, 11, 0), None), 0);
    }
}
