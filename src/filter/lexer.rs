//! Tokens of a display filter, each with the column (1-based) where it starts.

use super::FilterError;

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// A field name or a value: letters, digits and `_ . : / -`.
    Word(String),
    /// A double-quoted string.
    Text(String),
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
                let mut j = i + 1;
                let mut value = String::new();
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(FilterError::new(
                                column,
                                "unterminated string: add the closing \"",
                            ))
                        }
                        Some('"') => break,
                        Some('\\') if j + 1 < chars.len() => {
                            value.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(&other) => {
                            value.push(other);
                            j += 1;
                        }
                    }
                }
                tokens.push((Token::Text(value), column));
                j + 1 - i
            }
            (c, _) if is_word_char(c) => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j]) {
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
