//! Tokens of a display filter, each with the column (1-based) where it starts.

use super::FilterError;

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// A field name or a value: letters, digits and `_ . : / -`.
    Word(String),
    /// A double-quoted string, its escapes (`\x47`, `\107`, `\n`, `\\`, …) resolved; `r"…"`
    /// keeps its backslashes.
    Text(Vec<u8>),
    /// `==`, `!=`, `<`, `<=`, `>`, `>=` or their word forms.
    Compare(CompareOp),
    /// `and` / `&&`.
    And,
    /// `or` / `||`.
    Or,
    /// `not` / `!`.
    Not,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `contains`.
    Contains,
    /// `matches` / `~`.
    Matches,
    /// `in`.
    In,
    /// `{`.
    OpenSet,
    /// `}`.
    CloseSet,
    /// `,` between set elements.
    Comma,
    /// `..` between the ends of a range.
    Range,
    /// `[`.
    OpenSlice,
    /// `]`.
    CloseSlice,
    /// `&` / `bitwise_and`.
    BitAnd,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==` / `eq`
    Eq,
    /// `!=` / `ne`
    Ne,
    /// `<` / `lt`
    Lt,
    /// `<=` / `le`
    Le,
    /// `>` / `gt`
    Gt,
    /// `>=` / `ge`
    Ge,
}

impl CompareOp {
    /// The symbol form.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A token and the column it starts at.
pub type Spanned = (Token, usize);

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')
}

/// The string literal whose opening quote is at `chars[open]`, its bytes and the index past its
/// closing quote; `raw` (`r"…"`) keeps backslashes as they are (only `\"` does not end it).
fn string(chars: &[char], open: usize, raw: bool) -> Result<(Vec<u8>, usize), FilterError> {
    let column = if raw { open } else { open + 1 };
    let mut j = open + 1;
    let mut value = Vec::new();
    let push = |value: &mut Vec<u8>, c: char| {
        let mut buf = [0; 4];
        value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    loop {
        match chars.get(j) {
            None => {
                return Err(FilterError::new(
                    column,
                    "unterminated string: add the closing \"",
                ))
            }
            Some('"') => return Ok((value, j + 1)),
            Some('\\') if raw => {
                push(&mut value, '\\');
                if let Some(&next) = chars.get(j + 1) {
                    push(&mut value, next);
                }
                j += 2;
            }
            Some('\\') => {
                let (byte, used) = escape(&chars[j + 1..]).ok_or_else(|| {
                    let shown: String = chars[j..(j + 2).min(chars.len())].iter().collect();
                    FilterError::new(
                        j + 1,
                        format!(
                            "{shown} is not a valid escape in a string (write \\\\ for a \
                             backslash, as in \"\\\\d+\", or use a raw string r\"\\d+\")"
                        ),
                    )
                })?;
                match byte {
                    Some(b) => value.push(b),
                    None => push(&mut value, chars[j + 1]),
                }
                j += 1 + used;
            }
            Some(&other) => {
                push(&mut value, other);
                j += 1;
            }
        }
    }
}

/// The escape after a backslash, as Wireshark reads it: a byte (`\x47`, `\107`, `\n`, …) or
/// `None` for a character kept as it is (`\\`, `\"`), and how many characters it took.
fn escape(after: &[char]) -> Option<(Option<u8>, usize)> {
    let c = *after.first()?;
    let simple = |b: u8| Some((Some(b), 1));
    match c {
        'a' => simple(7),
        'b' => simple(8),
        'f' => simple(12),
        'n' => simple(b'\n'),
        'r' => simple(b'\r'),
        't' => simple(b'\t'),
        'v' => simple(11),
        '\\' | '"' | '\'' | '?' => Some((None, 1)),
        'x' => {
            let digits: String = after[1..]
                .iter()
                .take(2)
                .take_while(|d| d.is_ascii_hexdigit())
                .collect();
            let byte = u8::from_str_radix(&digits, 16).ok()?;
            Some((Some(byte), 1 + digits.len()))
        }
        '0'..='7' => {
            let digits: String = after
                .iter()
                .take(3)
                .take_while(|d| ('0'..='7').contains(d))
                .collect();
            let byte = u8::try_from(u32::from_str_radix(&digits, 8).ok()?).ok()?;
            Some((Some(byte), digits.len()))
        }
        _ => None,
    }
}

/// Splits `text` into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Spanned>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let next = chars.get(i + 1).copied();
        let two = |token: Token, tokens: &mut Vec<Spanned>| {
            tokens.push((token, column));
            2
        };
        let step = match (c, next) {
            (c, _) if c.is_whitespace() => 1,
            ('=', Some('=')) => two(Token::Compare(CompareOp::Eq), &mut tokens),
            ('!', Some('=')) => two(Token::Compare(CompareOp::Ne), &mut tokens),
            ('<', Some('=')) => two(Token::Compare(CompareOp::Le), &mut tokens),
            ('>', Some('=')) => two(Token::Compare(CompareOp::Ge), &mut tokens),
            ('&', Some('&')) => two(Token::And, &mut tokens),
            ('|', Some('|')) => two(Token::Or, &mut tokens),
            ('<', _) => {
                tokens.push((Token::Compare(CompareOp::Lt), column));
                1
            }
            ('>', _) => {
                tokens.push((Token::Compare(CompareOp::Gt), column));
                1
            }
            ('!', _) => {
                tokens.push((Token::Not, column));
                1
            }
            ('(', _) => {
                tokens.push((Token::Open, column));
                1
            }
            (')', _) => {
                tokens.push((Token::Close, column));
                1
            }
            ('"', _) => {
                let (value, end) = string(&chars, i, false)?;
                tokens.push((Token::Text(value), column));
                end - i
            }
            ('r', Some('"')) => {
                let (value, end) = string(&chars, i + 1, true)?;
                tokens.push((Token::Text(value), column));
                end - i
            }
            ('.', Some('.')) => two(Token::Range, &mut tokens),
            ('&', _) => {
                tokens.push((Token::BitAnd, column));
                1
            }
            ('~', _) => {
                tokens.push((Token::Matches, column));
                1
            }
            ('{' | '}' | ',' | '[' | ']', _) => {
                tokens.push((
                    match c {
                        '{' => Token::OpenSet,
                        '}' => Token::CloseSet,
                        ',' => Token::Comma,
                        '[' => Token::OpenSlice,
                        _ => Token::CloseSlice,
                    },
                    column,
                ));
                1
            }
            (c, _) if is_word_char(c) => {
                // A word ends where a range's `..` starts (`1000..2000`).
                let mut j = i;
                while j < chars.len()
                    && is_word_char(chars[j])
                    && !(chars[j] == '.' && chars.get(j + 1) == Some(&'.'))
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                let token = match word.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "eq" => Token::Compare(CompareOp::Eq),
                    "ne" => Token::Compare(CompareOp::Ne),
                    "lt" => Token::Compare(CompareOp::Lt),
                    "le" => Token::Compare(CompareOp::Le),
                    "gt" => Token::Compare(CompareOp::Gt),
                    "ge" => Token::Compare(CompareOp::Ge),
                    "contains" => Token::Contains,
                    "matches" => Token::Matches,
                    "in" => Token::In,
                    "bitwise_and" => Token::BitAnd,
                    _ => Token::Word(word),
                };
                tokens.push((token, column));
                j - i
            }
            ('=', _) => {
                return Err(FilterError::new(
                    column,
                    "'=' is not an operator: use '==' to compare",
                ))
            }
            (other, _) => {
                return Err(FilterError::new(
                    column,
                    format!("unexpected character '{other}'"),
                ))
            }
        };
        i += step;
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Token> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn symbols_and_words_are_the_same_operators() {
        assert_eq!(words("a&&b"), words("a and b"));
        assert_eq!(words("!a || b"), words("not a or b"));
        assert_eq!(words("x==1"), words("x eq 1"));
        assert_eq!(words("x>=1"), words("x ge 1"));
    }

    #[test]
    fn columns_point_at_token_starts() {
        let tokens = tokenize("tcp.port == 10000").unwrap();
        assert_eq!(tokens[0].1, 1);
        assert_eq!(tokens[1].1, 10);
        assert_eq!(tokens[2].1, 13);
    }

    #[test]
    fn addresses_stay_one_word() {
        assert_eq!(
            words("ipv6.addr==::1"),
            vec![
                Token::Word("ipv6.addr".into()),
                Token::Compare(CompareOp::Eq),
                Token::Word("::1".into())
            ]
        );
        assert_eq!(
            words("ip.src==172.16.16.0/24")[2],
            Token::Word("172.16.16.0/24".into())
        );
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(tokenize("tcp.port = 1").unwrap_err().column, 10);
        assert_eq!(tokenize("a == \"x").unwrap_err().column, 6);
        assert_eq!(tokenize("a # b").unwrap_err().column, 3);
    }
}
