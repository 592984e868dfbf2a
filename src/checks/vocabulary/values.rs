//! The parsers of the terms' richer values: sizes, patterns, rcodes, and the tables of
//! exchanges, HTTP, TLS and UDP expectations, each from a spec table or a command-line text.

use super::expect::{Base64Spec, ExchangeSpec, Expect, HttpSpec, TlsSpec, UdpSpec};
use super::Raw;
use crate::wire::dns::rcode_from_name;

pub(super) fn show(raw: &Raw) -> String {
    match raw {
        Raw::Text(t) => format!("{t:?}"),
        Raw::Int(n) => n.to_string(),
        other => other.kind().to_string(),
    }
}

/// A TCP payload size: 1 to 65535.
pub(super) fn size(raw: &Raw) -> Result<u32, String> {
    let n = match raw {
        Raw::Int(n) => Some(*n),
        Raw::Text(t) => t.parse().ok(),
        _ => None,
    };
    match n {
        Some(n @ 1..=65535) => Ok(n as u32),
        _ => Err(format!(
            "expected segment sizes from 1 to 65535, found {}",
            show(raw)
        )),
    }
}

/// A regular expression, checked.
pub(super) fn regex(text: &str) -> Result<String, String> {
    regex::bytes::Regex::new(text)
        .map(|_| text.to_string())
        .map_err(|e| {
            format!(
                "{text:?} is not a regular expression: {}",
                e.to_string().lines().last().unwrap_or("")
            )
        })
}

/// One TLS expectation, from `key=value ...` or a table.
pub(super) fn tls(raw: &Raw) -> Result<TlsSpec, String> {
    let pairs: Vec<(String, Raw)> = match raw {
        Raw::Text(t) => t
            .split_whitespace()
            .map(|w| {
                w.split_once('=')
                    .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
                    .ok_or(format!("{w:?}: expected KEY=VALUE (port, sni, min_version, san)"))
            })
            .collect::<Result<_, _>>()?,
        Raw::Table(entries) => entries.clone(),
        Raw::Switch(true) => Vec::new(),
        other => return Err(format!("expected {{ port = 8443, sni = \"NAME\", min_version = \"1.2\", san = \"ADDR\" }}, found {}", other.kind())),
    };
    let mut spec = TlsSpec {
        port: None,
        sni: None,
        min_version: None,
        san: None,
    };
    for (k, v) in &pairs {
        let text = || match v {
            Raw::Text(t) => Ok(t.clone()),
            Raw::Int(n) => Ok(n.to_string()),
            other => Err(format!("{k}: expected a text, found {}", other.kind())),
        };
        match k.as_str() {
            "port" => {
                spec.port =
                    Some(text()?.parse().map_err(|_| {
                        format!("port: {:?} is not a port", text().unwrap_or_default())
                    })?)
            }
            "sni" => spec.sni = Some(text()?),
            "san" => spec.san = Some(text()?),
            "min_version" => {
                spec.min_version = Some(match text()?.trim_start_matches("TLS").trim() {
                    "1.0" => 0x0301,
                    "1.1" => 0x0302,
                    "1.2" => 0x0303,
                    "1.3" => 0x0304,
                    other => {
                        return Err(format!(
                            "min_version: {other:?} is not 1.0, 1.1, 1.2 or 1.3"
                        ))
                    }
                })
            }
            other => {
                return Err(format!(
                    "unknown key {other:?} (a TLS expectation has port, sni, min_version, san)"
                ))
            }
        }
    }
    Ok(spec)
}

/// One HTTP expectation, from `METHOD URI [STATUS]` or a table.
pub(super) fn http(raw: &Raw) -> Result<HttpSpec, String> {
    let mut spec = HttpSpec {
        method: String::new(),
        uri: String::new(),
        status: None,
        location: None,
        content_type: None,
    };
    let status = |v: &Raw| -> Result<u16, String> {
        let n = match v {
            Raw::Int(n) => u16::try_from(*n).ok(),
            Raw::Text(t) => t.parse().ok(),
            _ => None,
        };
        n.filter(|n| (100..=999).contains(n)).ok_or(format!(
            "status: expected a code from 100 to 999, found {}",
            show(v)
        ))
    };
    match raw {
        Raw::Text(t) => {
            let words: Vec<&str> = t.split_whitespace().collect();
            match words.as_slice() {
                [m, u] => (spec.method, spec.uri) = (m.to_string(), u.to_string()),
                [m, u, s] => {
                    (spec.method, spec.uri) = (m.to_string(), u.to_string());
                    spec.status = Some(status(&Raw::Text(s.to_string()))?);
                }
                _ => return Err("expected METHOD URI [STATUS], e.g. \"GET /video 302\"".into()),
            }
        }
        Raw::Table(entries) => {
            for (k, v) in entries {
                let text = || match v {
                    Raw::Text(t) => Ok(t.clone()),
                    other => Err(format!("{k}: expected a text, found {}", other.kind())),
                };
                match k.as_str() {
                    "method" => spec.method = text()?,
                    "uri" => spec.uri = text()?,
                    "status" => spec.status = Some(status(v)?),
                    "location" => spec.location = Some(regex(&text()?)?),
                    "content_type" => spec.content_type = Some(text()?),
                    other => return Err(format!("unknown key {other:?} (an HTTP expectation has method, uri, status, location, content_type)")),
                }
            }
        }
        other => {
            return Err(format!(
                "expected {{ method = \"GET\", uri = \"/\", status = 200 }}, found {}",
                other.kind()
            ))
        }
    }
    if spec.method.is_empty() && spec.uri.is_empty() {
        return Err("give the request: method and/or uri".into());
    }
    Ok(spec)
}

/// One UDP expectation, from `PORT key=value...` or a table.
pub(super) fn udp(raw: &Raw) -> Result<UdpSpec, String> {
    let pairs: Vec<(String, Raw)> = match raw {
        Raw::Int(p) => vec![("port".into(), Raw::Int(*p))],
        Raw::Text(t) => {
            let mut words = t.split_whitespace();
            let mut pairs = vec![(
                "port".to_string(),
                Raw::Text(words.next().unwrap_or("").into()),
            )];
            for w in words {
                let (k, v) = w.split_once('=').ok_or(format!(
                    "{w:?}: expected KEY=VALUE (from, at_least, count, size)"
                ))?;
                let v = match k {
                    "from" => Raw::List(v.split(',').map(|a| Raw::Text(a.into())).collect()),
                    _ => Raw::Text(v.into()),
                };
                pairs.push((k.to_string(), v));
            }
            pairs
        }
        Raw::Table(entries) => entries.clone(),
        other => {
            return Err(format!(
                "expected {{ port = N, from = [...], at_least = N }}, found {}",
                other.kind()
            ))
        }
    };
    let number = |k: &str, v: &Raw, max: u64| -> Result<u64, String> {
        let n = match v {
            Raw::Int(n) => u64::try_from(*n).ok(),
            Raw::Text(t) => t.parse().ok(),
            _ => None,
        };
        n.filter(|n| *n <= max).ok_or(format!(
            "{k}: expected a number from 0 to {max}, found {}",
            show(v)
        ))
    };
    let mut spec = UdpSpec {
        port: 0,
        from: Vec::new(),
        at_least: 1,
        count: None,
        size: None,
    };
    let mut port = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "port" => port = Some(number(k, v, 65535)? as u16),
            "at_least" => spec.at_least = number(k, v, u64::MAX)?,
            "count" => spec.count = Some(number(k, v, u64::MAX)?),
            "size" => spec.size = Some(number(k, v, 65535)? as u32),
            "from" => {
                let items = match v {
                    Raw::List(items) => items.clone(),
                    one => vec![one.clone()],
                };
                for item in items {
                    let Raw::Text(a) = &item else {
                        return Err(format!("from: expected addresses, found {}", item.kind()));
                    };
                    spec.from.push(
                        a.trim()
                            .parse()
                            .map_err(|_| format!("from: {a:?} is not an IP address"))?,
                    );
                }
            }
            other => {
                return Err(format!(
                "unknown key {other:?} (a UDP expectation has port, from, at_least, count, size)"
            ))
            }
        }
    }
    spec.port = port.ok_or("a UDP expectation needs the port: port = 5005")?;
    Ok(spec)
}

/// One exchange expectation, from `REQUEST=>RESPONSE` or a table.
pub(super) fn exchange(raw: &Raw) -> Result<ExchangeSpec, String> {
    let entries = match raw {
        Raw::Text(t) => {
            let (request, response) = match t.split_once("=>") {
                Some((q, r)) => (q, Some(r)),
                None => (t.as_str(), None),
            };
            return Ok(ExchangeSpec {
                request: regex(request)?,
                response: response.map(regex).transpose()?,
                json: Vec::new(),
                base64: None,
            });
        }
        Raw::Table(entries) => entries,
        other => {
            return Err(format!(
                "expected a table {{ request = \"REGEX\", ... }}, found {}",
                other.kind()
            ))
        }
    };
    let text = |key: &str, v: &Raw| match v {
        Raw::Text(t) => Ok(t.clone()),
        other => Err(format!("{key}: expected a text, found {}", other.kind())),
    };
    let mut spec = ExchangeSpec {
        request: String::new(),
        response: None,
        json: Vec::new(),
        base64: None,
    };
    let mut request = None;
    for (key, value) in entries {
        match key.as_str() {
            "request" => request = Some(regex(&text(key, value)?)?),
            "response" => spec.response = Some(regex(&text(key, value)?)?),
            "json" => {
                let Raw::Table(fields) = value else {
                    return Err(format!(
                        "json: expected a table of fields, found {}",
                        value.kind()
                    ));
                };
                for (field, v) in fields {
                    let want = match v {
                        Raw::Text(t) => t.clone(),
                        Raw::Int(n) => n.to_string(),
                        Raw::Switch(b) => b.to_string(),
                        other => {
                            return Err(format!(
                                "json.{field}: expected a text, number or boolean, found {}",
                                other.kind()
                            ))
                        }
                    };
                    spec.json.push((field.clone(), want));
                }
            }
            "base64" => {
                let Raw::Table(fields) = value else {
                    return Err(format!(
                        "base64: expected {{ field = \"NAME\", size = N }}, found {}",
                        value.kind()
                    ));
                };
                let mut b = Base64Spec {
                    field: String::new(),
                    group: None,
                    size: None,
                    sha256: None,
                };
                for (k, v) in fields {
                    match (k.as_str(), v) {
                        ("field", Raw::Text(t)) => b.field = t.clone(),
                        ("group", Raw::Int(n)) if *n >= 1 => b.group = Some(*n as usize),
                        ("size", Raw::Int(n)) if *n >= 0 => b.size = Some(*n as u64),
                        ("sha256", Raw::Text(t)) if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) => {
                            b.sha256 = Some(t.to_ascii_lowercase())
                        }
                        (k, _) => return Err(format!("base64.{k}: expected field = \"NAME\" (a JSON field of the response) or group = N (of the request pattern), size = BYTES, sha256 = \"64 hex digits\"")),
                    }
                }
                if b.field.is_empty() == b.group.is_none()
                    || (b.size.is_none() && b.sha256.is_none())
                {
                    return Err("base64: give the field (or the request's group) and its decoded size or sha256".into());
                }
                spec.base64 = Some(b);
            }
            other => {
                return Err(format!(
                    "unknown key {other:?} (an exchange has request, response, json, base64)"
                ))
            }
        }
    }
    spec.request = request.ok_or("an exchange needs a request pattern: request = \"REGEX\"")?;
    Ok(spec)
}

pub(super) fn name_rcode(name: &str, code: &str) -> Result<Expect, String> {
    if name.is_empty() {
        return Err("expected NAME=RCODE with a name before '='".into());
    }
    let code = rcode_from_name(code).ok_or_else(|| {
        format!("unknown response code {code:?}: use NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED or a number 0-15")
    })?;
    Ok(Expect::Rcode(name.to_string(), code))
}
