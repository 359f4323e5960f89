//! A parser for Aleph's `q`: the Lucene `query_string` syntax, read the way Elasticsearch
//! reads it for Aleph (`default_operator: AND`, `lenient: true`).
//!
//! ```text
//! query    := or
//! or       := and (("OR" | "||") and)*
//! and      := unary (("AND" | "&&")? unary)*          -- juxtaposition means AND
//! unary    := ("NOT" | "!") unary | "+" primary | "-" primary | primary
//! primary  := "(" query ")" boost? | field ":" value | value
//! value    := "(" query ")"                            -- every clause gets the field
//!           | '"' phrase '"' ("~" slop)? boost?
//!           | ("[" | "{") bound "TO" bound ("]" | "}")
//!           | (">" | ">=" | "<" | "<=") bound
//!           | "/" regex "/" | "*"                      -- "*" alone: the field exists
//!           | term ("~" edits?)? boost?                -- "*" and "?" in a term: wildcards
//! ```
//!
//! Precedence is NOT, then AND, then OR: `a b OR c` is `(a AND b) OR c`. A clause with only
//! negations (`-a`, `NOT a`) matches everything but what it negates, as in Elasticsearch.
//! Being lenient means: a name before `:` that is not a field makes the whole word a plain term
//! (`http://example.org` is text, not a field query), and a `+`, `-` or `!` standing alone is
//! ignored. Anything else that does not fit the grammar (an unclosed quote or parenthesis, an
//! operator with nothing after it, a bad number after `~` or `^`) is a [`SyntaxError`] with
//! the character position where it was noticed.

use std::ops::Bound;

use unicode_normalization::UnicodeNormalization;

use super::field::Field;

/// How deeply groups and negations may nest; deeper input is refused rather than risking
/// the stack.
const MAX_DEPTH: usize = 40;

/// The largest edit distance of a fuzzy term (Lucene's limit).
pub const MAX_EDITS: u8 = 2;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Every document (an empty `q`, `*`, `*:*`).
    All,
    Leaf(Leaf),
    /// Every clause must match.
    And(Vec<Node>),
    /// At least one clause must match.
    Or(Vec<Node>),
    /// The clause must not match.
    Not(Box<Node>),
    /// The clause's score is multiplied.
    Boost(Box<Node>, f32),
}

/// One condition on one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The field, or `None` for the default full-text fields.
    pub field: Option<Field>,
    pub value: Value,
}

/// What a leaf asks of its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Term(String),
    /// Words in order, with up to `slop` moves between them.
    Phrase {
        text: String,
        slop: u32,
    },
    Fuzzy {
        text: String,
        fuzziness: Fuzziness,
    },
    Wildcard(Vec<WildcardPart>),
    Regex(String),
    Range {
        lower: Bound<String>,
        upper: Bound<String>,
    },
    /// The field has a value.
    Exists,
}

/// The allowed edit distance of a fuzzy term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fuzziness {
    /// By term length, as Elasticsearch's `AUTO`: 0 up to 2 characters, 1 up to 5, else 2.
    Auto,
    Edits(u8),
}

impl Fuzziness {
    /// The edit distance for a term of `chars` characters.
    pub fn edits(self, chars: usize) -> u8 {
        match self {
            Fuzziness::Edits(n) => n.min(MAX_EDITS),
            Fuzziness::Auto if chars <= 2 => 0,
            Fuzziness::Auto if chars <= 5 => 1,
            Fuzziness::Auto => 2,
        }
    }
}

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WildcardPart {
    Literal(String),
    /// `*`: any run of characters.
    AnyChars,
    /// `?`: one character.
    AnyChar,
}

/// Why `q` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {position})")]
pub struct SyntaxError {
    pub message: String,
    /// 0-based character offset into the (NFC-normalised) query.
    pub position: usize,
}

/// Parses `q`. An empty or blank query is [`Node::All`].
pub fn parse(q: &str) -> Result<Node, SyntaxError> {
    let normalised: String = q.nfc().collect();
    let mut parser = Parser {
        chars: normalised.trim().chars().collect(),
        pos: 0,
        depth: 0,
        default_field: None,
    };
    parser.skip_ws();
    if parser.at_end() {
        return Ok(Node::All);
    }
    let node = parser.parse_or()?;
    parser.skip_ws();
    if !parser.at_end() {
        return Err(parser.error(match parser.peek() {
            Some(')') => "unbalanced closing parenthesis",
            _ => "unexpected input",
        }));
    }
    Ok(node.unwrap_or(Node::All))
}

/// Characters that end a bare term.
fn ends_term(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | '^' | '~' | '[' | ']' | '{' | '}' | ':')
}

/// One character of a scanned term, remembering whether it was escaped with `\`.
#[derive(Clone, Copy)]
struct Ch {
    c: char,
    escaped: bool,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    /// The field of an enclosing `field:(…)` group.
    default_field: Option<Field>,
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        self.error_at(message, self.pos)
    }

    fn error_at(&self, message: impl Into<String>, position: usize) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            // A trailing escape (a `\` at the end) steps past the last character; the error
            // is then at the end of the input.
            position: position.min(self.chars.len()),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Whether the next characters are the operator `word` standing alone.
    fn at_keyword(&self, word: &str) -> bool {
        let n = word.chars().count();
        word.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
            && self
                .peek_at(n)
                .is_none_or(|c| c.is_whitespace() || c == '(' || c == '"')
    }

    fn at_symbol(&self, symbol: &str) -> bool {
        symbol
            .chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn at_or(&self) -> bool {
        self.at_keyword("OR") || self.at_symbol("||")
    }

    fn at_and(&self) -> bool {
        self.at_keyword("AND") || self.at_symbol("&&")
    }

    /// Whether nothing that could start a clause follows.
    fn at_clause_end(&self) -> bool {
        self.at_end() || self.peek() == Some(')') || self.at_or() || self.at_and()
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the query is nested too deeply"));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Option<Node>, SyntaxError> {
        let mut items = Vec::new();
        items.extend(self.parse_and()?);
        loop {
            self.skip_ws();
            if !self.at_or() {
                break;
            }
            let op_pos = self.pos;
            self.pos += 2;
            self.skip_ws();
            if self.at_clause_end() {
                return Err(self.error_at("OR needs a clause after it", op_pos));
            }
            items.extend(self.parse_and()?);
        }
        Ok(combine(items, Node::Or))
    }

    fn parse_and(&mut self) -> Result<Option<Node>, SyntaxError> {
        let mut items = Vec::new();
        items.extend(self.parse_unary()?);
        loop {
            self.skip_ws();
            if self.at_end() || self.peek() == Some(')') || self.at_or() {
                break;
            }
            if self.at_and() {
                let op_pos = self.pos;
                self.pos += if self.at_symbol("&&") { 2 } else { 3 };
                self.skip_ws();
                if self.at_clause_end() {
                    return Err(self.error_at("AND needs a clause after it", op_pos));
                }
            }
            items.extend(self.parse_unary()?);
        }
        Ok(combine(items, Node::And))
    }

    /// A clause with its prefix operator; `None` for a lone `+`, `-` or `!`.
    fn parse_unary(&mut self) -> Result<Option<Node>, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        if self.at_or() || self.at_and() {
            return Err(self.error("AND/OR needs a clause before it"));
        }
        let not_word = self.at_keyword("NOT");
        if not_word || self.peek() == Some('!') {
            self.pos += if not_word { 3 } else { 1 };
            if !not_word && self.peek().is_none_or(char::is_whitespace) {
                return Ok(None);
            }
            self.skip_ws();
            if self.at_clause_end() {
                return Err(self.error_at("NOT needs a clause after it", start));
            }
            self.enter()?;
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(inner.map(|n| Node::Not(Box::new(n))));
        }
        match self.peek() {
            Some(sign @ ('+' | '-')) => {
                self.pos += 1;
                if self.peek().is_none_or(char::is_whitespace) {
                    return Ok(None);
                }
                let inner = self.parse_primary()?;
                Ok(if sign == '-' {
                    inner.map(|n| Node::Not(Box::new(n)))
                } else {
                    inner
                })
            }
            _ => self.parse_primary(),
        }
    }

    fn parse_primary(&mut self) -> Result<Option<Node>, SyntaxError> {
        let start = self.pos;
        match self.peek() {
            None => Err(self.error("expected a clause")),
            Some('(') => self.parse_group(),
            Some('"') => self.parse_phrase(self.default_field).map(Some),
            Some('[' | '{') => Err(self.error("a range needs a field, as in field:[a TO b]")),
            Some('/') if self.peek_at(1).is_none_or(char::is_whitespace) => {
                self.pos += 1;
                Ok(None)
            }
            Some('/') => self.parse_regex(self.default_field).map(Some),
            Some(c @ (')' | '^' | '~' | ':' | ']' | '}')) => {
                Err(self.error(format!("unexpected '{c}'")))
            }
            Some(_) => {
                let word = self.scan_term(false);
                if self.peek() == Some(':') {
                    let name: String = word.iter().map(|ch| ch.c).collect();
                    if let Some(target) = self.field_target(&name) {
                        self.pos += 1;
                        return self.parse_field_value(target, start);
                    }
                }
                self.finish_term(self.default_field, word).map(Some)
            }
        }
    }

    /// What a name before `:` designates, if it is a field.
    fn field_target(&self, name: &str) -> Option<Target> {
        match name {
            "*" => Some(Target::Any),
            "_exists_" => Some(Target::Exists),
            _ => Field::parse(name).map(Target::Field),
        }
    }

    fn parse_group(&mut self) -> Result<Option<Node>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(')') {
            return Err(self.error_at("empty parentheses", open));
        }
        let inner = self.parse_or()?;
        self.skip_ws();
        if self.peek() != Some(')') {
            return Err(self.error_at("unclosed parenthesis", open));
        }
        self.pos += 1;
        self.depth -= 1;
        let boost = self.parse_boost()?;
        Ok(inner.map(|n| with_boost(n, boost)))
    }

    fn parse_field_value(
        &mut self,
        target: Target,
        start: usize,
    ) -> Result<Option<Node>, SyntaxError> {
        let field = match target {
            Target::Field(f) => Some(f),
            Target::Any => None,
            Target::Exists => {
                let name: String = self.scan_term(true).iter().map(|ch| ch.c).collect();
                return match Field::parse(&name) {
                    Some(f) => Ok(Some(leaf(Some(f), Value::Exists))),
                    None => Err(self.error_at(format!("unknown field '{name}'"), start)),
                };
            }
        };
        match self.peek() {
            None => Err(self.error_at("expected a value after ':'", start)),
            Some(c) if c.is_whitespace() => Err(self.error_at("expected a value after ':'", start)),
            Some('(') => {
                let saved = self.default_field;
                self.default_field = field;
                let result = self.parse_group();
                self.default_field = saved;
                result
            }
            Some('"') => self.parse_phrase(field).map(Some),
            Some('[' | '{') => self.parse_range(field, start).map(Some),
            Some('>' | '<') => self.parse_comparison(field, start).map(Some),
            Some('/') => self.parse_regex(field).map(Some),
            Some('*') if self.peek_at(1).is_none_or(ends_term) => {
                self.pos += 1;
                Ok(Some(match (target, field) {
                    (Target::Any, _) | (_, None) => Node::All,
                    (_, Some(f)) => leaf(Some(f), Value::Exists),
                }))
            }
            Some(_) => {
                let word = self.scan_term(true);
                if word.is_empty() {
                    return Err(self.error_at("expected a value after ':'", start));
                }
                self.finish_term(field, word).map(Some)
            }
        }
    }

    /// Reads a bare word: up to whitespace or a special character; `\` escapes the next one.
    /// A `:` that does not follow a field name is part of the word.
    fn scan_term(&mut self, value: bool) -> Vec<Ch> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some('\\') => match self.peek_at(1) {
                    Some(c) => {
                        out.push(Ch { c, escaped: true });
                        self.pos += 2;
                    }
                    None => {
                        self.pos += 1;
                    }
                },
                Some(':') => {
                    let name: String = out.iter().map(|ch| ch.c).collect();
                    let is_field = !value
                        && !out.iter().any(|ch| ch.escaped)
                        && self.field_target(&name).is_some();
                    if is_field || out.is_empty() {
                        break;
                    }
                    out.push(Ch {
                        c: ':',
                        escaped: false,
                    });
                    self.pos += 1;
                }
                Some(c) if !ends_term(c) => {
                    out.push(Ch { c, escaped: false });
                    self.pos += 1;
                }
                _ => break,
            }
        }
        out
    }

    /// Turns a scanned word and its `~`/`^` suffixes into a leaf.
    fn finish_term(&mut self, field: Option<Field>, word: Vec<Ch>) -> Result<Node, SyntaxError> {
        let start = self.pos;
        if word.is_empty() {
            return Err(self.error_at("expected a term", start));
        }
        let text: String = word.iter().map(|ch| ch.c).collect();
        let wildcard = word
            .iter()
            .any(|ch| !ch.escaped && (ch.c == '*' || ch.c == '?'));
        let mut value = if wildcard {
            if word.iter().all(|ch| ch.c == '*' && !ch.escaped) && field.is_none() {
                return Ok(Node::All);
            }
            Value::Wildcard(wildcard_parts(&word))
        } else {
            Value::Term(text.clone())
        };
        if self.peek() == Some('~') {
            self.pos += 1;
            let fuzziness = self.parse_fuzziness()?;
            if !wildcard {
                value = Value::Fuzzy { text, fuzziness };
            }
        }
        let boost = self.parse_boost()?;
        self.expect_boundary()?;
        Ok(with_boost(leaf(field, value), boost))
    }

    fn parse_fuzziness(&mut self) -> Result<Fuzziness, SyntaxError> {
        let start = self.pos;
        let number = self.scan_number();
        if number.is_empty() {
            return Ok(Fuzziness::Auto);
        }
        if let Ok(n) = number.parse::<u32>() {
            return Ok(Fuzziness::Edits(n.min(u32::from(MAX_EDITS)) as u8));
        }
        // Lucene's old similarity syntax (`term~0.8`): read as the automatic distance.
        match number.parse::<f32>() {
            Ok(f) if (0.0..1.0).contains(&f) => Ok(Fuzziness::Auto),
            _ => Err(self.error_at(format!("'{number}' is not an edit distance"), start)),
        }
    }

    fn scan_number(&mut self) -> String {
        let mut number = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_digit() || *c == '.') {
            number.push(c);
            self.pos += 1;
        }
        number
    }

    fn parse_boost(&mut self) -> Result<Option<f32>, SyntaxError> {
        if self.peek() != Some('^') {
            return Ok(None);
        }
        self.pos += 1;
        let start = self.pos;
        let number = self.scan_number();
        match number.parse::<f32>() {
            Ok(b) if b.is_finite() => Ok(Some(b)),
            _ => Err(self.error_at("'^' needs a number", start)),
        }
    }

    /// After a complete clause, only whitespace, a parenthesis, a quote or the end may follow.
    fn expect_boundary(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None | Some(')' | '(' | '"') => Ok(()),
            Some(c) if c.is_whitespace() => Ok(()),
            Some(c) => Err(self.error(format!("unexpected '{c}'"))),
        }
    }

    fn parse_phrase(&mut self, field: Option<Field>) -> Result<Node, SyntaxError> {
        let text = self.scan_quoted()?;
        let mut slop = 0;
        if self.peek() == Some('~') {
            self.pos += 1;
            let start = self.pos;
            let number = self.scan_number();
            slop = match number.parse::<u32>() {
                Ok(n) => n,
                Err(_) if number.is_empty() => 0,
                Err(_) => return Err(self.error_at("a phrase's '~' needs a whole number", start)),
            };
        }
        let boost = self.parse_boost()?;
        self.expect_boundary()?;
        Ok(with_boost(leaf(field, Value::Phrase { text, slop }), boost))
    }

    /// Reads `"…"` with `\` escapes, returning the content.
    fn scan_quoted(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error_at("unclosed quotation mark", open)),
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => {
                    if let Some(c) = self.peek_at(1) {
                        text.push(c);
                    }
                    self.pos += 2;
                }
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn parse_regex(&mut self, field: Option<Field>) -> Result<Node, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut pattern = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error_at("unclosed regular expression", open)),
                Some('/') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') if self.peek_at(1) == Some('/') => {
                    pattern.push('/');
                    self.pos += 2;
                }
                Some(c) => {
                    pattern.push(c);
                    self.pos += 1;
                }
            }
        }
        if let Err(e) = regex_syntax_check(&pattern) {
            return Err(self.error_at(format!("invalid regular expression: {e}"), open));
        }
        let boost = self.parse_boost()?;
        self.expect_boundary()?;
        Ok(with_boost(leaf(field, Value::Regex(pattern)), boost))
    }

    fn parse_range(&mut self, field: Option<Field>, start: usize) -> Result<Node, SyntaxError> {
        let Some(field) = field else {
            return Err(self.error_at("a range needs a field, as in field:[a TO b]", start));
        };
        let open = self.pos;
        let inclusive_lower = self.peek() == Some('[');
        self.pos += 1;
        self.skip_ws();
        let lower = self.scan_bound()?;
        self.skip_ws();
        if !self.at_keyword("TO") {
            return Err(self.error("expected TO in a range"));
        }
        self.pos += 2;
        self.skip_ws();
        let upper = self.scan_bound()?;
        self.skip_ws();
        let inclusive_upper = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => return Err(self.error_at("unclosed range", open)),
        };
        self.pos += 1;
        let boost = self.parse_boost()?;
        self.expect_boundary()?;
        let bound = |value: Option<String>, inclusive: bool| match value {
            None => Bound::Unbounded,
            Some(v) if inclusive => Bound::Included(v),
            Some(v) => Bound::Excluded(v),
        };
        let value = Value::Range {
            lower: bound(lower, inclusive_lower),
            upper: bound(upper, inclusive_upper),
        };
        Ok(with_boost(leaf(Some(field), value), boost))
    }

    /// One end of a range: `*` (open), a quoted string or a bare word.
    fn scan_bound(&mut self) -> Result<Option<String>, SyntaxError> {
        if self.peek() == Some('"') {
            return self.scan_quoted().map(Some);
        }
        let start = self.pos;
        let mut text = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| !c.is_whitespace() && !matches!(c, ']' | '}' | '[' | '{'))
        {
            if c == '\\' {
                if let Some(next) = self.peek_at(1) {
                    text.push(next);
                }
                self.pos += 2;
                continue;
            }
            text.push(c);
            self.pos += 1;
        }
        match text.as_str() {
            "" => Err(self.error_at("expected a range bound", start)),
            "*" => Ok(None),
            _ => Ok(Some(text)),
        }
    }

    fn parse_comparison(
        &mut self,
        field: Option<Field>,
        start: usize,
    ) -> Result<Node, SyntaxError> {
        let Some(field) = field else {
            return Err(self.error_at("a comparison needs a field, as in field:>=10", start));
        };
        let greater = self.peek() == Some('>');
        self.pos += 1;
        let inclusive = self.peek() == Some('=');
        if inclusive {
            self.pos += 1;
        }
        let value_start = self.pos;
        let value = if self.peek() == Some('"') {
            self.scan_quoted()?
        } else {
            self.scan_term(true).iter().map(|ch| ch.c).collect()
        };
        if value.is_empty() {
            return Err(self.error_at("expected a value to compare with", value_start));
        }
        let boost = self.parse_boost()?;
        self.expect_boundary()?;
        let bound = if inclusive {
            Bound::Included(value)
        } else {
            Bound::Excluded(value)
        };
        let value = if greater {
            Value::Range {
                lower: bound,
                upper: Bound::Unbounded,
            }
        } else {
            Value::Range {
                lower: Bound::Unbounded,
                upper: bound,
            }
        };
        Ok(with_boost(leaf(Some(field), value), boost))
    }
}

#[derive(Clone, Copy)]
enum Target {
    Field(Field),
    /// `*:` — the default fields.
    Any,
    /// `_exists_:` — the value names a field.
    Exists,
}

fn leaf(field: Option<Field>, value: Value) -> Node {
    Node::Leaf(Leaf { field, value })
}

fn with_boost(node: Node, boost: Option<f32>) -> Node {
    match boost {
        Some(b) => Node::Boost(Box::new(node), b),
        None => node,
    }
}

fn combine(mut items: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Option<Node> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(make(items)),
    }
}

fn wildcard_parts(word: &[Ch]) -> Vec<WildcardPart> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    for ch in word {
        let part = match ch.c {
            '*' if !ch.escaped => WildcardPart::AnyChars,
            '?' if !ch.escaped => WildcardPart::AnyChar,
            c => {
                literal.push(c);
                continue;
            }
        };
        if !literal.is_empty() {
            parts.push(WildcardPart::Literal(std::mem::take(&mut literal)));
        }
        // `**` is the same as `*`.
        if !(part == WildcardPart::AnyChars && parts.last() == Some(&WildcardPart::AnyChars)) {
            parts.push(part);
        }
    }
    if !literal.is_empty() {
        parts.push(WildcardPart::Literal(literal));
    }
    parts
}

/// Refuses a regular expression that the search backends could not compile.
fn regex_syntax_check(pattern: &str) -> Result<(), String> {
    regex::Regex::new(pattern).map(|_| ()).map_err(|e| {
        e.to_string()
            .lines()
            .last()
            .unwrap_or("syntax error")
            .trim()
            .to_string()
    })
}

#[cfg(test)]
mod tests;
