//! Zeek's view of a connection: each endpoint's state, the `history` letters and the
//! summarising `conn_state` (S0, S1, SF, REJ, …), as Zeek's `conn.log` defines them.

use crate::wire::TcpFlags;

/// What an endpoint has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndpointState {
    /// Sent nothing.
    #[default]
    Inactive,
    /// Sent a SYN.
    SynSent,
    /// Sent a SYN-ACK.
    SynAckSent,
    /// Sent traffic without a SYN having been seen (capture started mid-connection).
    Partial,
    /// Handshake complete.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

impl EndpointState {
    fn inactive(self) -> bool {
        matches!(self, EndpointState::Inactive | EndpointState::Partial)
    }
}

/// Zeek's history letters, each at most once, in the order first seen. Kept inline (a
/// connection's few letters are not worth a heap allocation each).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    letters: [u8; 32],
    len: u8,
}

impl History {
    /// Appends an ASCII letter unless it is there already (or there is no room).
    fn add(&mut self, letter: char) {
        let Ok(byte) = u8::try_from(letter) else {
            return;
        };
        let len = usize::from(self.len);
        if len < self.letters.len() && !self.letters[..len].contains(&byte) {
            self.letters[len] = byte;
            self.len += 1;
        }
    }

    /// The letters, e.g. `ShADadFf`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.letters[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Display for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Both endpoints' states and the history string.
#[derive(Clone, Debug, Default)]
pub struct ZeekState {
    /// The originator (client).
    pub orig: EndpointState,
    /// The responder (server).
    pub resp: EndpointState,
    /// Zeek history letters: upper case from the originator, lower case from the responder.
    pub history: History,
    /// Whether either side sent payload.
    any_payload: bool,
}

impl ZeekState {
    /// Records one segment from the originator (`from_orig`) or the responder.
    pub fn on_segment(
        &mut self,
        from_orig: bool,
        flags: TcpFlags,
        payload: bool,
        retransmission: bool,
        zero_window: bool,
    ) {
        let syn = flags.has(TcpFlags::SYN);
        let ack = flags.has(TcpFlags::ACK);
        let letter = if flags.has(TcpFlags::RST) {
            Some('r')
        } else if syn && ack {
            Some('h')
        } else if syn {
            Some('s')
        } else {
            None
        };
        if let Some(l) = letter {
            self.add(from_orig, l);
        }
        if flags.has(TcpFlags::FIN) {
            self.add(from_orig, 'f');
        }
        if payload {
            self.add(from_orig, 'd');
            self.any_payload = true;
        }
        if ack && !syn && !payload && flags.0 & (TcpFlags::FIN | TcpFlags::RST) == 0 {
            self.add(from_orig, 'a');
        }
        if retransmission {
            self.add(from_orig, 't');
        }
        if zero_window {
            self.add(from_orig, 'w');
        }

        let (me, peer) = if from_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        *me = if flags.has(TcpFlags::RST) {
            EndpointState::Reset
        } else if flags.has(TcpFlags::FIN) {
            EndpointState::Closed
        } else if syn && !ack {
            match *me {
                EndpointState::Inactive | EndpointState::SynSent => EndpointState::SynSent,
                other => other,
            }
        } else if syn {
            match *me {
                EndpointState::Inactive | EndpointState::SynAckSent => EndpointState::SynAckSent,
                other => other,
            }
        } else {
            match (*me, *peer) {
                (EndpointState::SynSent, EndpointState::SynAckSent) => {
                    *peer = EndpointState::Established;
                    EndpointState::Established
                }
                (EndpointState::SynAckSent, EndpointState::Established) => {
                    EndpointState::Established
                }
                (EndpointState::Inactive, _) => EndpointState::Partial,
                (state, _) => state,
            }
        };
    }

    /// Adds a history letter the first time it occurs in that direction.
    fn add(&mut self, from_orig: bool, letter: char) {
        let letter = if from_orig {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        self.history.add(letter);
    }

    /// Zeek's `conn_state`.
    pub fn conn_state(&self) -> &'static str {
        use EndpointState::*;
        let (os, rs) = (self.orig, self.resp);
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent) || (os == Reset && !self.any_payload) {
                "REJ"
            } else if os.inactive() {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Reset {
            if rs.inactive() {
                let history = self.history.as_str();
                if history.trim_start_matches('^').starts_with('S')
                    && !history.contains(['H', 'A', 'F', 'h', 'a', 'f'])
                {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Closed && os == Closed {
            "SF"
        } else if os == Closed {
            if rs.inactive() {
                "SH"
            } else {
                "S2"
            }
        } else if rs == Closed {
            if os.inactive() {
                "SHR"
            } else {
                "S3"
            }
        } else if os == SynSent && rs == Inactive {
            "S0"
        } else if os == Established && rs == Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: u16 = TcpFlags::SYN;
    const ACK: u16 = TcpFlags::ACK;
    const FIN: u16 = TcpFlags::FIN;
    const RST: u16 = TcpFlags::RST;
    const PSH: u16 = TcpFlags::PSH;

    fn play(steps: &[(bool, u16, bool)]) -> ZeekState {
        let mut z = ZeekState::default();
        for &(orig, flags, data) in steps {
            z.on_segment(orig, TcpFlags(flags), data, false, false);
        }
        z
    }

    #[test]
    fn lab_echo_session_is_sf() {
        let z = play(&[
            (true, SYN, false),
            (false, SYN | ACK, false),
            (true, ACK, false),
            (true, PSH | ACK, true),
            (false, ACK, false),
            (false, PSH | ACK, true),
            (true, FIN | ACK, false),
            (false, FIN | ACK, false),
            (true, ACK, false),
        ]);
        assert_eq!(z.conn_state(), "SF");
        assert_eq!(z.history.as_str(), "ShADadFf");
    }

    #[test]
    fn refused_is_rej() {
        let z = play(&[(true, SYN, false), (false, RST | ACK, false)]);
        assert_eq!(z.conn_state(), "REJ");
        assert_eq!(z.history.as_str(), "Sr");
    }

    #[test]
    fn other_states() {
        assert_eq!(play(&[(true, SYN, false)]).conn_state(), "S0");
        assert_eq!(
            play(&[
                (true, SYN, false),
                (false, SYN | ACK, false),
                (true, ACK, false)
            ])
            .conn_state(),
            "S1"
        );
        assert_eq!(
            play(&[
                (true, SYN, false),
                (false, SYN | ACK, false),
                (true, ACK, false),
                (true, FIN | ACK, false)
            ])
            .conn_state(),
            "S2"
        );
        assert_eq!(
            play(&[
                (true, SYN, false),
                (false, SYN | ACK, false),
                (true, ACK, false),
                (false, FIN | ACK, false)
            ])
            .conn_state(),
            "S3"
        );
        assert_eq!(
            play(&[
                (true, SYN, false),
                (false, SYN | ACK, false),
                (true, ACK, false),
                (true, RST, false)
            ])
            .conn_state(),
            "RSTO"
        );
        assert_eq!(
            play(&[
                (true, SYN, false),
                (false, SYN | ACK, false),
                (true, ACK, false),
                (false, RST, false)
            ])
            .conn_state(),
            "RSTR"
        );
        assert_eq!(
            play(&[(true, SYN, false), (true, RST, false)]).conn_state(),
            "RSTOS0"
        );
        assert_eq!(
            play(&[(true, SYN, false), (true, FIN, false)]).conn_state(),
            "SH"
        );
        assert_eq!(
            play(&[(false, SYN | ACK, false), (false, FIN, false)]).conn_state(),
            "SHR"
        );
        assert_eq!(
            play(&[(false, SYN | ACK, false), (false, RST, false)]).conn_state(),
            "RSTRH"
        );
        assert_eq!(
            play(&[(true, ACK, true), (false, ACK, false)]).conn_state(),
            "OTH"
        );
    }
}
