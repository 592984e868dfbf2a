//! The TCP analysis findings in words: the bracketed labels Wireshark puts at the start of a
//! segment's Info column, in its order.

use crate::analysis::tcp::{DupAck, Findings};

/// Labels in the order Wireshark's Info column shows them (it prepends each in turn, so this
/// is the reverse of the order it tests them in). The duplicate ACK's label, which carries its
/// numbers, stands between the zero-window probe's and the keep-alive ACK's.
const BEFORE_DUP_ACK: [(u16, &str); 3] = [
    (Findings::ZERO_WINDOW_PROBE_ACK, "TCP ZeroWindowProbeAck"),
    (Findings::ZERO_WINDOW, "TCP ZeroWindow"),
    (Findings::ZERO_WINDOW_PROBE, "TCP ZeroWindowProbe"),
];

const AFTER_DUP_ACK: [(u16, &str); 11] = [
    (Findings::KEEP_ALIVE_ACK, "TCP Keep-Alive ACK"),
    (Findings::KEEP_ALIVE, "TCP Keep-Alive"),
    (Findings::WINDOW_FULL, "TCP Window Full"),
    (Findings::WINDOW_UPDATE, "TCP Window Update"),
    (Findings::ACK_LOST_SEGMENT, "TCP ACKed unseen segment"),
    (Findings::LOST_SEGMENT, "TCP Previous segment not captured"),
    (Findings::REUSED_PORTS, "TCP Port numbers reused"),
    (Findings::OUT_OF_ORDER, "TCP Out-Of-Order"),
    (Findings::FAST_RETRANSMISSION, "TCP Fast Retransmission"),
    (
        Findings::SPURIOUS_RETRANSMISSION,
        "TCP Spurious Retransmission",
    ),
    (Findings::RETRANSMISSION, "TCP Retransmission"),
];

/// Wireshark's bracketed Info labels, each followed by a space, e.g.
/// `[TCP Dup ACK 84#1] ` or `[TCP Previous segment not captured] [TCP Retransmission] `.
pub fn info_labels(findings: Findings, dup_ack: Option<DupAck>) -> String {
    let put = |out: &mut String, table: &[(u16, &str)]| {
        for (bit, label) in table {
            if findings.any(*bit) {
                out.push('[');
                out.push_str(label);
                out.push_str("] ");
            }
        }
    };
    let mut out = String::new();
    put(&mut out, &BEFORE_DUP_ACK);
    if let (true, Some(d)) = (findings.any(Findings::DUP_ACK), dup_ack) {
        out.push_str(&format!("[TCP Dup ACK {}#{}] ", d.of_frame, d.number));
    }
    put(&mut out, &AFTER_DUP_ACK);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stand_in_wiresharks_order() {
        let f = Findings(Findings::RETRANSMISSION | Findings::LOST_SEGMENT);
        assert_eq!(
            info_labels(f, None),
            "[TCP Previous segment not captured] [TCP Retransmission] "
        );
        let dup = DupAck {
            of_frame: 84,
            number: 1,
        };
        let f = Findings(Findings::DUP_ACK | Findings::ZERO_WINDOW | Findings::KEEP_ALIVE_ACK);
        assert_eq!(
            info_labels(f, Some(dup)),
            "[TCP ZeroWindow] [TCP Dup ACK 84#1] [TCP Keep-Alive ACK] "
        );
        assert_eq!(info_labels(Findings(0), None), "");
    }
}
