//! The display-filter grammar, and the tree it builds.
//!
//! ```text
//! or      := and (("or" | "||") and)*
//! and     := unary (("and" | "&&") unary)*
//! unary   := ("not" | "!") unary | "(" or ")" | test
//! test    := FIELD slice? ("&" NUMBER)? (OP VALUE | "contains" VALUE | "matches" STRING
//!            | "in" "{" element ("," element)* "}")?
//! slice   := "[" (I ":" LEN | I "-" END | I | ":" LEN | I ":") "]"
//! element := VALUE (".." VALUE)?
//! ```
//!
//! A chain of `and` (or of `or`) is one node holding its operands, however long, and `not`
//! and `(` nest at most [`MAX_DEPTH`] deep: the tree is at most about twice that deep, so
//! neither the parser nor anything that walks the tree (the matcher, the BPF translation,
//! dropping it) recurses without bound.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::IntErrorKind;

use super::fields::{Field, Kind, NAMES};
use super::lexer::{tokenize, CompareOp, Spanned, Token};
use super::pattern::{Pattern, MAX_PATTERNS};
use super::FilterError;

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// The field is present.
    Has(Field),
    /// The field compared with a value.
    Compare(Field, CompareOp, Value),
    /// A test on a slice of the field's bytes or its value masked, or with `contains`,
    /// `matches` or `in`.
    Test(Box<Test>),
    /// Every one holds (two or more operands).
    And(Vec<Expr>),
    /// At least one holds (two or more operands).
    Or(Vec<Expr>),
    /// It does not hold.
    Not(Box<Expr>),
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number (booleans are 0 and 1).
    Number(u64),
    /// An address and a prefix length (32 or 128 for a single address).
    Net(IpAddr, u8),
    /// A text.
    Text(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A relative time in nanoseconds.
    Time(i64),
}

/// A test beyond a plain comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    /// The field tested.
    pub field: Field,
    /// Bytes of the field taken (`tcp.payload[0:3]`).
    pub slice: Option<Slice>,
    /// A mask the field's value is and-ed with (`tcp.flags & 0x12`).
    pub mask: Option<u64>,
    /// What is asked of it.
    pub relation: Relation,
}

/// What a [`Test`] asks of its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relation {
    /// It is present (for a mask: some bit of the mask is set).
    Has,
    /// It compares with a value.
    Compare(CompareOp, Value),
    /// Its bytes contain these.
    Contains(Vec<u8>),
    /// Its bytes match the regular expression.
    Matches(Pattern),
    /// It lies in one of the ranges (a single value is a range of one).
    In(Vec<(Value, Value)>),
}

/// Bytes of a field: from `start` (from the end when negative), `len` of them or to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The first byte; negative counts from the end (`-1` is the last).
    pub start: i64,
    /// How many bytes; `None`: to the end.
    pub len: Option<u64>,
}

impl Slice {
    /// The slice of `bytes`, when they are long enough for it.
    pub fn of(self, bytes: &[u8]) -> Option<&[u8]> {
        let total = bytes.len() as i64;
        let start = if self.start < 0 {
            total + self.start
        } else {
            self.start
        };
        if start < 0 || start > total {
            return None;
        }
        let start = start as usize;
        match self.len {
            None => bytes.get(start..),
            Some(len) => bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?),
        }
    }
}

/// How deeply `not` and parentheses may nest (each `not`, each `(` is one level).
pub const MAX_DEPTH: usize = 256;

/// Parses filter text.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(FilterError::new(1, "empty filter"));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: text.chars().count() + 1,
        depth: 0,
        patterns: 0,
    };
    let expr = parser.or()?;
    if let Some((_, column)) = parser.tokens.get(parser.pos) {
        return Err(FilterError::new(
            *column,
            "expected 'and', 'or' or the end of the filter",
        ));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    /// The column just past the text, for "unexpected end" errors.
    end: usize,
    /// How many `not` and `(` enclose the current position.
    depth: usize,
    /// How many regular expressions the filter holds so far.
    patterns: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, c)| *c)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(chain(terms, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            terms.push(self.unary()?);
        }
        Ok(chain(terms, Expr::And))
    }

    /// Enters one more level of `not` or `(`, the token at `column`.
    fn nest(&mut self, column: usize) -> Result<(), FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::new(
                column,
                format!("filter nested too deeply (more than {MAX_DEPTH} levels of 'not' and '(')"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let column = self.column();
        match self.tokens.get(self.pos).cloned() {
            Some((Token::Not, _)) => {
                self.nest(column)?;
                self.pos += 1;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some((Token::Open, _)) => {
                self.nest(column)?;
                self.pos += 1;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::Close) {
                    return Err(FilterError::new(
                        self.column(),
                        format!("expected ')' to close the '(' at column {column}"),
                    ));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some((Token::Word(name), _)) => {
                self.pos += 1;
                let field = Field::by_name(&name).ok_or_else(|| unknown_field(&name, column))?;
                self.test(field, &name, column)
            }
            Some(_) => Err(FilterError::new(
                column,
                "expected a field name, 'not' or '('",
            )),
            None => Err(FilterError::new(
                column,
                "the filter ends where a field name was expected",
            )),
        }
    }

    /// The test on `field` (called `name` at `field_column`), its name just read.
    fn test(&mut self, field: Field, name: &str, field_column: usize) -> Result<Expr, FilterError> {
        let slice = if self.peek() == Some(&Token::OpenSlice) {
            Some(self.slice(field, name, field_column)?)
        } else {
            None
        };
        let mask = if self.peek() == Some(&Token::BitAnd) {
            Some(self.mask(field, name, field_column, slice.is_some())?)
        } else {
            None
        };
        // What the value is compared as: a slice is bytes, whatever the field.
        let kind = if slice.is_some() {
            Kind::Bytes
        } else {
            field.kind()
        };
        let searchable = matches!(kind, Kind::Bytes | Kind::Text) || field.has_bytes();
        let op_column = self.column();
        let relation = match self.peek().cloned() {
            Some(Token::Compare(op)) => {
                self.pos += 1;
                if kind == Kind::Protocol {
                    return Err(FilterError::new(
                        op_column,
                        format!(
                            "'{}' is a protocol: test it alone, without '{}'",
                            field.name(),
                            op.symbol()
                        ),
                    ));
                }
                let (value, column) = self.value(field, name, kind)?;
                if let Value::Net(_, prefix) = value {
                    let full = if kind == Kind::Ipv4 { 32 } else { 128 };
                    if prefix != full && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                        return Err(FilterError::new(
                            column,
                            "a subnet can only be compared with '==' or '!='",
                        ));
                    }
                }
                Relation::Compare(op, value)
            }
            Some(Token::Contains) => {
                self.pos += 1;
                if !searchable {
                    return Err(cannot(field, name, field_column, "contains"));
                }
                let (value, _) = self.value(field, name, Kind::Bytes)?;
                let Value::Bytes(bytes) = value else {
                    unreachable!("a byte string is parsed as bytes")
                };
                Relation::Contains(bytes)
            }
            Some(Token::Matches) => {
                self.pos += 1;
                if !searchable {
                    return Err(cannot(field, name, field_column, "matches"));
                }
                let column = self.column();
                let Some(Token::Text(text)) = self.peek().cloned() else {
                    return Err(FilterError::new(
                        column,
                        "'matches' takes a regular expression in double quotes (\"^GET /\")",
                    ));
                };
                self.pos += 1;
                self.patterns += 1;
                if self.patterns > MAX_PATTERNS {
                    return Err(FilterError::new(
                        column,
                        format!("more than {MAX_PATTERNS} regular expressions in one filter"),
                    ));
                }
                let pattern = Pattern::new(&String::from_utf8_lossy(&text))
                    .map_err(|e| FilterError::new(column, e))?;
                Relation::Matches(pattern)
            }
            Some(Token::In) => {
                self.pos += 1;
                if kind == Kind::Protocol {
                    return Err(cannot(field, name, field_column, "in"));
                }
                Relation::In(self.set(field, name, kind)?)
            }
            _ => Relation::Has,
        };
        Ok(match (slice, mask, relation) {
            (None, None, Relation::Has) => Expr::Has(field),
            (None, None, Relation::Compare(op, value)) => Expr::Compare(field, op, value),
            (slice, mask, relation) => Expr::Test(Box::new(Test {
                field,
                slice,
                mask,
                relation,
            })),
        })
    }

    /// `[…]` after a field that has bytes.
    fn slice(
        &mut self,
        field: Field,
        name: &str,
        field_column: usize,
    ) -> Result<Slice, FilterError> {
        if !field.has_bytes() {
            return Err(FilterError::new(
                field_column,
                format!(
                    "{name} is {} and cannot be sliced into bytes (slice a protocol or a \
                     payload: frame[0:2], tcp.payload[0:3])",
                    field.describe()
                ),
            ));
        }
        let open = self.column();
        self.pos += 1;
        let column = self.column();
        let Some(Token::Word(range)) = self.peek().cloned() else {
            return Err(FilterError::new(
                column,
                "expected a byte range after '[' (0:3, 2-5, 4, -1, 4:)",
            ));
        };
        self.pos += 1;
        let slice = slice_range(&range)
            .ok_or_else(|| FilterError::new(column, format!("'{range}' is not a byte range (write start:length as in 0:3, start-end as in 2-5, one byte as in 4 or -1, or start: to the end)")))?;
        if self.peek() != Some(&Token::CloseSlice) {
            return Err(FilterError::new(
                self.column(),
                format!("expected ']' to close the '[' at column {open}"),
            ));
        }
        self.pos += 1;
        Ok(slice)
    }

    /// `& MASK` after a number field.
    fn mask(
        &mut self,
        field: Field,
        name: &str,
        field_column: usize,
        sliced: bool,
    ) -> Result<u64, FilterError> {
        if sliced || field.kind() != Kind::Number {
            return Err(FilterError::new(
                field_column,
                format!(
                    "'&' takes a number field (tcp.flags & 0x02): {name}{} is {}",
                    if sliced { "[…]" } else { "" },
                    if sliced { "bytes" } else { field.describe() }
                ),
            ));
        }
        self.pos += 1;
        let column = self.column();
        let word = match self.tokens.get(self.pos).cloned() {
            Some((Token::Word(word), _)) => word,
            _ => {
                return Err(FilterError::new(
                    column,
                    "expected a number after '&' (tcp.flags & 0x02)",
                ))
            }
        };
        self.pos += 1;
        match parse_value(field, name, &word, false, Kind::Number) {
            Ok(Value::Number(n)) => Ok(n),
            Ok(_) => unreachable!("a number field's value is a number"),
            Err(message) => Err(FilterError::new(column, message)),
        }
    }

    /// The value after an operator, compared as `kind`, and its column.
    fn value(
        &mut self,
        field: Field,
        name: &str,
        kind: Kind,
    ) -> Result<(Value, usize), FilterError> {
        let column = self.column();
        let (word, quoted) = match self.tokens.get(self.pos).cloned() {
            Some((Token::Word(word), _)) => (word.into_bytes(), false),
            Some((Token::Text(text), _)) => (text, true),
            Some(_) => {
                return Err(FilterError::new(
                    column,
                    "expected a value after the operator",
                ))
            }
            None => {
                return Err(FilterError::new(
                    column,
                    "the filter ends where a value was expected",
                ))
            }
        };
        self.pos += 1;
        let value = if kind == Kind::Bytes && quoted {
            Ok(Value::Bytes(word))
        } else {
            parse_value(field, name, &String::from_utf8_lossy(&word), quoted, kind)
        };
        value
            .map(|v| (v, column))
            .map_err(|message| FilterError::new(column, message))
    }

    /// `{a, b..c, …}`: the ranges, a single value as a range of one.
    fn set(
        &mut self,
        field: Field,
        name: &str,
        kind: Kind,
    ) -> Result<Vec<(Value, Value)>, FilterError> {
        let open = self.column();
        if self.peek() != Some(&Token::OpenSet) {
            return Err(FilterError::new(
                open,
                "expected a set after 'in' ({80, 443, 8000..8100})",
            ));
        }
        self.pos += 1;
        if self.peek() == Some(&Token::CloseSet) {
            return Err(FilterError::new(
                self.column(),
                "a set needs at least one element ({80, 443})",
            ));
        }
        let mut elements = Vec::new();
        loop {
            let (low, column) = self.value(field, name, kind)?;
            let high = if self.peek() == Some(&Token::Range) {
                self.pos += 1;
                self.value(field, name, kind)?.0
            } else {
                low.clone()
            };
            // A subnet is an element (`ip.src in {10.0.0.0/8}`), not the end of a range.
            let full = if kind == Kind::Ipv4 { 32 } else { 128 };
            if low != high
                && [&low, &high]
                    .iter()
                    .any(|v| matches!(v, Value::Net(_, prefix) if *prefix != full))
            {
                return Err(FilterError::new(
                    column,
                    "a range takes addresses, not subnets (ip.src in {10.0.0.1..10.0.0.9})",
                ));
            }
            elements.push((low, high));
            match self.peek() {
                Some(Token::Comma) => self.pos += 1,
                Some(Token::CloseSet) => {
                    self.pos += 1;
                    return Ok(elements);
                }
                // Wireshark 3 separated elements by spaces (`{80 8000}`), and its documents
                // still show it; Wireshark 4 wants commas. Both are read.
                Some(Token::Word(_) | Token::Text(_)) => {}
                _ => {
                    return Err(FilterError::new(
                        self.column(),
                        format!("expected ',' or '}}' to close the '{{' at column {open}"),
                    ))
                }
            }
        }
    }
}

/// One operand alone, or the chain of them.
fn chain(mut terms: Vec<Expr>, node: fn(Vec<Expr>) -> Expr) -> Expr {
    if terms.len() == 1 {
        terms.pop().expect("one term")
    } else {
        node(terms)
    }
}

fn unknown_field(name: &str, column: usize) -> FilterError {
    let close: Vec<&str> = NAMES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.split('.').next() == name.split('.').next())
        .collect();
    let hint = if close.is_empty() {
        "known fields: ".to_string() + &NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    } else {
        "did you mean one of: ".to_string() + &close.join(", ")
    };
    FilterError::new(column, format!("unknown field '{name}' ({hint})"))
}

/// The error for an operator `field`'s type does not take.
fn cannot(field: Field, name: &str, column: usize, op: &str) -> FilterError {
    let takes = if op == "in" {
        "it takes fields with values (tcp.port in {80, 443})"
    } else {
        "labcap searches frame, ip, ipv6, tcp, udp, dns, http, tls, tcp.payload, \
         udp.payload, slices of them and text fields (dns.qry.name, http.host, …)"
    };
    FilterError::new(
        column,
        format!(
            "{name} is {} and cannot be used with '{op}': {takes}",
            field.describe()
        ),
    )
}

/// A byte range inside `[…]`: `i:len`, `i-end` (inclusive), `i`, `:len`, `i:`.
fn slice_range(text: &str) -> Option<Slice> {
    let int = |t: &str| t.parse::<i64>().ok();
    let count = |t: &str| t.parse::<u64>().ok();
    if let Some((start, len)) = text.split_once(':') {
        let start = if start.is_empty() { 0 } else { int(start)? };
        let len = if len.is_empty() {
            None
        } else {
            Some(count(len)?)
        };
        return Some(Slice { start, len });
    }
    // `-3` is the third byte from the end; `2-5` bytes 2 to 5.
    match text[1.min(text.len())..].split_once('-') {
        Some((_, end)) => {
            let start = int(&text[..text.len() - end.len() - 1])?;
            let end = int(end)?;
            if start < 0 || end < start {
                return None;
            }
            Some(Slice {
                start,
                len: Some((end - start).checked_add(1)? as u64),
            })
        }
        None => Some(Slice {
            start: int(text)?,
            len: Some(1),
        }),
    }
}

/// Bytes written as hex, separated by `:`, `-` or `.` (`47:45:54`), or one byte (`45`, `0x45`).
fn byte_string(word: &str) -> Option<Vec<u8>> {
    let hex = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X"));
    if let Some(hex) = hex {
        return (hex.len() <= 2).then(|| u8::from_str_radix(hex, 16).ok().map(|b| vec![b]))?;
    }
    word.split([':', '-', '.'])
        .map(|b| {
            ((1..=2).contains(&b.len()))
                .then(|| u8::from_str_radix(b, 16).ok())
                .flatten()
        })
        .collect()
}

/// Seconds with an optional fraction (`1`, `0.25`, `-1.5`) in nanoseconds.
fn nanoseconds(word: &str) -> Option<i64> {
    let (negative, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let nanos: i64 = format!("{fraction:0<9}").parse().ok()?;
    let total = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if negative { -total } else { total })
}

/// The value `word` (from a string when `quoted`) compared with `field`, which the filter
/// calls `name`, as a value of `kind` (the field's, or bytes for a slice).
fn parse_value(
    field: Field,
    name: &str,
    word: &str,
    quoted: bool,
    kind: Kind,
) -> Result<Value, String> {
    match kind {
        Kind::Bytes if quoted => Ok(Value::Bytes(word.as_bytes().to_vec())),
        Kind::Bytes => byte_string(word).map(Value::Bytes).ok_or_else(|| {
            format!("'{word}' is not a byte string (write hex bytes as in 47:45:54, or a string as in \"GET\")")
        }),
        Kind::Time => nanoseconds(word).map(Value::Time).ok_or_else(|| {
            format!("'{word}' is not a time ({name} takes seconds, as in 1.5)")
        }),
        Kind::Ipv4 | Kind::Ipv6 => {
            let v4 = kind == Kind::Ipv4;
            let (addr, prefix) = match word.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (word, None),
            };
            let full: u8 = if v4 { 32 } else { 128 };
            let addr: IpAddr = if v4 {
                addr.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| format!("'{word}' is not an IPv4 address ({} takes e.g. 172.16.16.101 or 172.16.16.0/24)", field.name()))?
            } else {
                addr.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| {
                    format!(
                        "'{word}' is not an IPv6 address ({} takes e.g. ::1 or fe80::/10)",
                        field.name()
                    )
                })?
            };
            let prefix = match prefix {
                None => full,
                Some(p) => match p.parse::<u8>() {
                    Ok(p) if p <= full => p,
                    _ => return Err(format!("'{p}' is not a prefix length from 0 to {full}")),
                },
            };
            Ok(Value::Net(addr, prefix))
        }
        Kind::Boolean => match word {
            "true" | "True" | "TRUE" => Ok(Value::Number(1)),
            "false" | "False" | "FALSE" => Ok(Value::Number(0)),
            _ => in_range(field, name, word, number(word)).map_err(|e| {
                e.unwrap_or_else(|| format!("'{word}' is not a flag value: use 1/0 or true/false"))
            }),
        },
        Kind::Number => in_range(field, name, word, number(word)).map_err(|e| {
            e.unwrap_or_else(|| {
                format!("'{word}' is not a number ({} takes a number)", field.name())
            })
        }),
        Kind::Text => Ok(Value::Text(word.to_string())),
        Kind::Mac => mac(word).map(Value::Number).ok_or_else(|| {
            format!(
                "'{word}' is not an Ethernet address ({} takes e.g. ff:ff:ff:ff:ff:ff)",
                field.name()
            )
        }),
        Kind::Protocol => Err(format!(
            "'{}' is a protocol and takes no value",
            field.name()
        )),
    }
}

/// An Ethernet address, six hex bytes separated by `:`, `-` or `.`, as a 48-bit number.
fn mac(word: &str) -> Option<u64> {
    let bytes: Vec<&str> = word.split([':', '-', '.']).collect();
    if bytes.len() != 6 {
        return None;
    }
    bytes.iter().try_fold(0u64, |n, b| {
        (b.len() == 2 || b.len() == 1)
            .then(|| u8::from_str_radix(b, 16).ok())
            .flatten()
            .map(|b| n << 8 | u64::from(b))
    })
}

/// A number in decimal or `0x` hexadecimal: `Err(true)` when it is one but too big even for
/// 64 bits, `Err(false)` when it is not a number.
fn number(word: &str) -> Result<u64, bool> {
    let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => word.parse::<u64>(),
    };
    parsed.map_err(|e| *e.kind() == IntErrorKind::PosOverflow)
}

/// The number if it fits the field (as Wireshark, a value too wide for the field is an error);
/// `Err(None)` when the word is not a number.
fn in_range(
    field: Field,
    name: &str,
    word: &str,
    parsed: Result<u64, bool>,
) -> Result<Value, Option<String>> {
    match parsed {
        Ok(n) if n <= field.max() => Ok(Value::Number(n)),
        Ok(_) | Err(true) => Err(Some(format!(
            "{name} is {} {}-bit field: {word} is out of range 0-{}{}",
            if field.bits() == 8 { "an" } else { "a" },
            field.bits(),
            field.max(),
            if field.kind() == Kind::Boolean {
                " (or false/true)"
            } else {
                ""
            }
        ))),
        Err(false) => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: Field, op: CompareOp, n: u64) -> Expr {
        Expr::Compare(field, op, Value::Number(n))
    }

    #[test]
    fn comparisons_and_presence() {
        assert_eq!(
            parse("tcp.port==10000").unwrap(),
            cmp(Field::TcpPort, CompareOp::Eq, 10000)
        );
        assert_eq!(parse("udp").unwrap(), Expr::Has(Field::Udp));
        assert_eq!(
            parse("tcp.flags == 0x12").unwrap(),
            cmp(Field::TcpFlags, CompareOp::Eq, 0x12)
        );
        assert_eq!(
            parse("tcp.flags.syn == true").unwrap(),
            cmp(Field::TcpFlag(2), CompareOp::Eq, 1)
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tightest() {
        let e = parse("tcp or udp and not dns").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::Has(Field::Tcp),
                Expr::And(vec![
                    Expr::Has(Field::Udp),
                    Expr::Not(Box::new(Expr::Has(Field::Dns)))
                ])
            ])
        );
        let p = parse("(tcp or udp) && !dns").unwrap();
        assert!(matches!(p, Expr::And(..)));
    }

    #[test]
    fn a_chain_is_one_node_however_long() {
        assert_eq!(
            parse("tcp or udp || ip or ipv6").unwrap(),
            Expr::Or(vec![
                Expr::Has(Field::Tcp),
                Expr::Has(Field::Udp),
                Expr::Has(Field::Ip),
                Expr::Has(Field::Ipv6)
            ])
        );
        let long = vec!["tcp.port == 1 and udp"; 100_000].join(" or ");
        match parse(&long).unwrap() {
            Expr::Or(terms) => {
                assert_eq!(terms.len(), 100_000);
                assert!(terms
                    .iter()
                    .all(|t| matches!(t, Expr::And(v) if v.len() == 2)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn addresses_and_subnets() {
        assert_eq!(
            parse("ip.addr == 172.16.16.0/24").unwrap(),
            Expr::Compare(
                Field::IpAddr,
                CompareOp::Eq,
                Value::Net("172.16.16.0".parse().unwrap(), 24)
            )
        );
        assert_eq!(
            parse("ipv6.src == ::1").unwrap(),
            Expr::Compare(
                Field::Ipv6Src,
                CompareOp::Eq,
                Value::Net("::1".parse().unwrap(), 128)
            )
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse("tcp.port == abc").unwrap_err();
        assert_eq!(e.column, 13);
        assert!(e.message.contains("not a number"));
        assert_eq!(parse("tcp.prot == 1").unwrap_err().column, 1);
        assert!(parse("tcp.prot == 1")
            .unwrap_err()
            .message
            .contains("tcp.port"));
        assert_eq!(parse("(tcp").unwrap_err().column, 5);
        assert_eq!(parse("tcp udp").unwrap_err().column, 5);
        assert_eq!(parse("tcp ==").unwrap_err().column, 5);
        assert_eq!(parse("ip.addr == 1.2.3.4/33").unwrap_err().column, 12);
        assert_eq!(parse("tcp.port == ").unwrap_err().column, 13);
        assert_eq!(parse("ip.src > 10.0.0.0/8").unwrap_err().column, 10);
        assert_eq!(parse("").unwrap_err().column, 1);
        assert_eq!(parse("and").unwrap_err().column, 1);
    }

    #[test]
    fn values_out_of_a_fields_range_are_errors_naming_the_field_and_range() {
        let e = parse("tcp.port == 70000").unwrap_err();
        assert_eq!(e.column, 13);
        assert_eq!(
            e.message,
            "tcp.port is a 16-bit field: 70000 is out of range 0-65535"
        );
        let e = parse("tcp.len > 4294967296").unwrap_err();
        assert_eq!(e.column, 11);
        assert_eq!(
            e.message,
            "tcp.len is a 32-bit field: 4294967296 is out of range 0-4294967295"
        );
        let e = parse("ip.ttl >= 0x100").unwrap_err();
        assert_eq!(
            e.message,
            "ip.ttl is an 8-bit field: 0x100 is out of range 0-255"
        );
        let e = parse("tcp.flags.syn == 2").unwrap_err();
        assert_eq!(
            e.message,
            "tcp.flags.syn is a 1-bit field: 2 is out of range 0-1 (or false/true)"
        );
        // Too big even for 64 bits: out of range too, not "not a number".
        let e = parse("udp.port == 99999999999999999999999").unwrap_err();
        assert!(e.message.contains("out of range 0-65535"), "{}", e.message);
        assert!(parse("tcp.flags.syn == x")
            .unwrap_err()
            .message
            .contains("not a flag value"));
        // Every number and flag field takes its largest value and refuses one more.
        for (name, field) in NAMES {
            if !matches!(field.kind(), Kind::Number | Kind::Boolean) {
                continue;
            }
            let max = field.max();
            assert_eq!(
                parse(&format!("{name} <= {max}")).unwrap(),
                cmp(*field, CompareOp::Le, max)
            );
            assert_eq!(
                parse(&format!("{name} > {max:#x}")).unwrap(),
                cmp(*field, CompareOp::Gt, max)
            );
            let e = parse(&format!("{name} == {}", max + 1)).unwrap_err();
            assert!(
                e.message.starts_with(&format!("{name} is a"))
                    && e.message
                        .contains(&format!(" {}-bit field: ", field.bits())),
                "{}",
                e.message
            );
        }
    }

    fn test_of(text: &str) -> Test {
        match parse(text).unwrap() {
            Expr::Test(t) => *t,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn sets_ranges_masks_slices_and_searches() {
        let t = test_of("tcp.port in {80, 8000..8100}");
        assert_eq!(
            t.relation,
            Relation::In(vec![
                (Value::Number(80), Value::Number(80)),
                (Value::Number(8000), Value::Number(8100)),
            ])
        );
        let t = test_of("tcp.flags & 0x12 == 0x12");
        assert_eq!(t.mask, Some(0x12));
        assert_eq!(
            t.relation,
            Relation::Compare(CompareOp::Eq, Value::Number(0x12))
        );
        assert_eq!(test_of("tcp.flags bitwise_and 2").mask, Some(2));
        for (text, start, len) in [
            ("tcp.payload[0:3] == \"GET\"", 0, Some(3)),
            ("frame[2-5] == 00:00:00:00", 2, Some(4)),
            ("frame[-1] == 0a", -1, Some(1)),
            ("frame[:2] == 08:00", 0, Some(2)),
            ("frame[4:] contains 00", 4, None),
        ] {
            assert_eq!(test_of(text).slice, Some(Slice { start, len }), "{text}");
        }
        assert_eq!(
            test_of("frame contains \"\\x47E\\124\\n\"").relation,
            Relation::Contains(b"GET\n".to_vec())
        );
        assert_eq!(
            test_of("tcp contains 47:45:54").relation,
            Relation::Contains(b"GET".to_vec())
        );
        assert_eq!(
            parse("frame.time_relative > 1.25").unwrap(),
            Expr::Compare(
                Field::FrameTimeRelative,
                CompareOp::Gt,
                Value::Time(1_250_000_000)
            )
        );
        let slice = Slice {
            start: -2,
            len: None,
        };
        assert_eq!(slice.of(b"GET\r\n"), Some(&b"\r\n"[..]));
        assert_eq!(
            Slice {
                start: 3,
                len: Some(3)
            }
            .of(b"GET\r\n"),
            None
        );
    }

    #[test]
    fn regular_expressions_are_limited_in_number() {
        let many = |n: usize| vec!["frame matches \"a{100}{10}\""; n].join(" or ");
        assert!(parse(&many(MAX_PATTERNS)).is_ok());
        let e = parse(&many(MAX_PATTERNS + 1)).unwrap_err();
        assert!(e.message.contains("regular expressions"), "{}", e.message);
    }

    #[test]
    fn nesting_is_limited_with_an_error_at_the_first_level_too_deep() {
        let deep =
            |open: &str, n: usize, close: &str| format!("{}tcp{}", open.repeat(n), close.repeat(n));
        // At the limit: fine.
        assert!(parse(&deep("(", MAX_DEPTH, ")")).is_ok());
        assert!(parse(&deep("!", MAX_DEPTH, "")).is_ok());
        assert!(parse(&deep("not ", MAX_DEPTH, "")).is_ok());
        // One more, or the fuzzer's 10,000 parentheses and 17,000 '!': an error, no overflow.
        for (text, column) in [
            (deep("(", MAX_DEPTH + 1, ")"), MAX_DEPTH + 1),
            (deep("!", MAX_DEPTH + 1, ""), MAX_DEPTH + 1),
            (deep("not ", MAX_DEPTH + 1, ""), 4 * MAX_DEPTH + 1),
            (deep("(", 10_000, ")"), MAX_DEPTH + 1),
            (deep("!", 17_000, ""), MAX_DEPTH + 1),
            (deep("(!", 10_000, ")"), MAX_DEPTH + 1),
        ] {
            let e = parse(&text).unwrap_err();
            assert_eq!(e.column, column, "{}", &text[..20]);
            assert!(e.message.contains("nested too deeply"), "{}", e.message);
        }
        // Levels are counted where they are open, not in total.
        let siblings = vec!["(tcp)"; 2 * MAX_DEPTH].join(" or ");
        assert!(parse(&siblings).is_ok());
        let nots = vec![deep("!", MAX_DEPTH, ""); 3].join(" and ");
        assert!(parse(&nots).is_ok());
    }
}
