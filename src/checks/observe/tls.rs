//! "TLS on 8443, SNI mesin1, at least TLS 1.2, the certificate names the lab address": each
//! TLS session judged as the TLS analyzer emits it.

use super::Observation;
use crate::analysis::observer::Observer;
use crate::analysis::tls::handshake::version_name;
use crate::analysis::tls::TlsSession;
use crate::analysis::Examples;
use crate::checks::vocabulary::TlsSpec;
use crate::report::escape::sanitize;

/// Judges the sessions on the port (and for the name) given.
#[derive(Debug)]
pub struct TlsRule {
    spec: TlsSpec,
    seen: TlsSeen,
}

/// What the sessions showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSeen {
    /// Sessions judged.
    pub sessions: u64,
    /// Of those, with the certificate in clear.
    pub certificates: u64,
    /// Those that failed: stream and why.
    pub wrong: Examples<(u32, String)>,
    /// Sessions on other ports or for other names (a few).
    pub others: Examples<String>,
}

impl TlsRule {
    /// Sessions as `spec` describes.
    pub fn new(spec: &TlsSpec) -> TlsRule {
        TlsRule {
            spec: spec.clone(),
            seen: TlsSeen::default(),
        }
    }
}

impl Observer for TlsRule {
    fn tls(&mut self, s: &TlsSession, matched: bool) {
        if !matched || !s.client_hello.seen {
            return;
        }
        let sni = s.client_hello.sni.as_deref().unwrap_or("");
        let fits = self.spec.port.is_none_or(|p| p == s.server.port)
            && self
                .spec
                .sni
                .as_deref()
                .is_none_or(|n| n.eq_ignore_ascii_case(sni));
        if !fits {
            self.seen
                .others
                .add(|| format!("{} SNI {:?}", s.server, sanitize(sni)));
            return;
        }
        self.seen.sessions += 1;
        let mut why = None;
        match (self.spec.min_version, s.version()) {
            (Some(_), None) => why = Some("no ServerHello".to_string()),
            (Some(min), Some(v)) if v < min => {
                why = Some(format!(
                    "{} negotiated, below {}",
                    version_name(v),
                    version_name(min)
                ))
            }
            _ => {}
        }
        if s.server_hello.cert_subject.is_some() {
            self.seen.certificates += 1;
            if let (None, Some(want)) = (&why, &self.spec.san) {
                let san = &s.server_hello.cert_san;
                if !san.iter().any(|n| n.contains(want.as_str())) {
                    why = Some(format!(
                        "the certificate's SAN ({}) lacks {want}",
                        sanitize(&san.join(", "))
                    ));
                }
            }
        }
        if let Some(why) = why {
            self.seen.wrong.add(|| (s.stream, why));
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::TlsChecked(self.seen)
    }
}
