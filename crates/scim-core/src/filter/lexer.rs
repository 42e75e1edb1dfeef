//! The character cursor under the filter parser (RFC 7644 §3.4.2.2): words,
//! whitespace, and the JSON literals a `compValue` may be (RFC 7159 strings
//! with every escape, numbers, `true`/`false`/`null`). Positions are 0-based
//! character indices inside, reported 1-based to clients.

use serde_json::Number;

use super::CompValue;
use crate::error::ScimError;

/// A cursor over the filter's characters. Working on `char`s (the filter is at
/// most a few thousand of them) keeps positions in characters, as clients
/// count them, and makes slicing panic-free.
pub(crate) struct Cursor {
    chars: Vec<char>,
    pub(crate) pos: usize,
}

/// Characters that end a bare word (attribute path, operator, keyword,
/// number, `true`/`false`/`null`).
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

impl Cursor {
    pub(crate) fn new(input: &str) -> Self {
        Cursor { chars: input.chars().collect(), pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// Skips whitespace; returns true when there was any.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// The bare word at the cursor, without consuming it.
    pub(crate) fn peek_word(&self) -> String {
        self.chars.iter().skip(self.pos).take_while(|c| !ends_word(**c)).collect()
    }

    /// Consumes the bare word at the cursor (possibly empty).
    pub(crate) fn word(&mut self) -> String {
        let w = self.peek_word();
        self.pos += w.chars().count();
        w
    }

    /// A short description of what is at `pos`, for "found …" in errors.
    pub(crate) fn describe_here(&self) -> String {
        match self.peek() {
            None => "the end of the filter".to_owned(),
            Some(c) if ends_word(c) && !c.is_whitespace() => format!("'{c}'"),
            Some(_) => {
                let w = self.peek_word();
                let short: String = w.chars().take(40).collect();
                if short.len() < w.len() { format!("\"{short}…\"") } else { format!("\"{short}\"") }
            }
        }
    }

    /// `400 invalidFilter` at character `pos` (0-based here, 1-based in the text).
    pub(crate) fn error_at(&self, pos: usize, msg: impl std::fmt::Display) -> ScimError {
        ScimError::invalid_filter(format!("invalid filter at character {}: {msg}", pos + 1))
    }

    /// "expected X, found Y" at the cursor.
    pub(crate) fn expected(&self, what: &str) -> ScimError {
        self.error_at(self.pos, format!("expected {what}, found {}", self.describe_here()))
    }

    /// Lexes a `compValue` at the cursor: a JSON string, a JSON number, or
    /// `true`/`false`/`null` in any case (RFC 7644 says attribute operators
    /// and names are case-insensitive; clients send `True` too).
    pub(crate) fn comp_value(&mut self) -> Result<CompValue, ScimError> {
        match self.peek() {
            Some('"') => self.string().map(CompValue::String),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number().map(CompValue::Number),
            _ => {
                let start = self.pos;
                let w = self.peek_word();
                let v = if w.eq_ignore_ascii_case("true") {
                    CompValue::Bool(true)
                } else if w.eq_ignore_ascii_case("false") {
                    CompValue::Bool(false)
                } else if w.eq_ignore_ascii_case("null") {
                    CompValue::Null
                } else {
                    return Err(self.error_at(
                        start,
                        format!(
                            "expected a value (a string in double quotes, a number, true, false or null), found {}",
                            self.describe_here()
                        ),
                    ));
                };
                self.pos += w.chars().count();
                Ok(v)
            }
        }
    }

    fn number(&mut self) -> Result<Number, ScimError> {
        let start = self.pos;
        let w = self.word();
        json_number(&w).ok_or_else(|| self.error_at(start, format!("\"{w}\" is not a valid JSON number")))
    }

    /// A JSON string (RFC 8259 §7) starting at the opening quote.
    pub(crate) fn string(&mut self) -> Result<String, ScimError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let here = self.pos;
            match self.bump() {
                None => return Err(self.error_at(start, "unterminated string: missing closing '\"'")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(here)?),
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.error_at(
                        here,
                        format!("control character U+{:04X} must be escaped inside a string", c as u32),
                    ));
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// One escape after the backslash at `at`.
    fn escape(&mut self, at: usize) -> Result<char, ScimError> {
        let c = match self.bump() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => return self.unicode_escape(at),
            Some(other) => return Err(self.error_at(at, format!("invalid escape \"\\{other}\" in string"))),
            None => return Err(self.error_at(at, "unterminated escape at the end of the filter")),
        };
        Ok(c)
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ScimError> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.bump().and_then(|c| c.to_digit(16)) {
                Some(d) => v = v * 16 + d,
                None => return Err(self.error_at(at, "invalid \\u escape: expected four hexadecimal digits")),
            }
        }
        Ok(v)
    }

    /// `\uXXXX`, joining a UTF-16 surrogate pair into one character.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ScimError> {
        let hi = self.hex4(at)?;
        if (0xDC00..0xE000).contains(&hi) {
            return Err(self.error_at(at, format!("lone low surrogate \\u{hi:04X} in string")));
        }
        if !(0xD800..0xDC00).contains(&hi) {
            return char::from_u32(hi).ok_or_else(|| self.error_at(at, "invalid \\u escape"));
        }
        let second = self.pos;
        if self.bump() != Some('\\') || self.bump() != Some('u') {
            return Err(self.error_at(at, format!("high surrogate \\u{hi:04X} is not followed by a low surrogate")));
        }
        let lo = self.hex4(second)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return Err(
                self.error_at(second, format!("\\u{lo:04X} is not a low surrogate after high surrogate \\u{hi:04X}"))
            );
        }
        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        char::from_u32(cp).ok_or_else(|| self.error_at(at, "invalid surrogate pair"))
    }
}

/// True when `s` follows the JSON number grammar (RFC 8259 §6):
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A JSON number as serde_json represents it: integers exactly when they fit
/// in i64/u64, anything else as the correctly rounded f64 (std's parser; the
/// serde_json one without `float_roundtrip` can be off by one ulp, which
/// would break printing and re-parsing). Infinite values are refused.
fn json_number(s: &str) -> Option<Number> {
    if !is_json_number(s) {
        return None;
    }
    if !s.contains(['.', 'e', 'E']) {
        if let Ok(n) = s.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = s.parse::<i64>() {
            return Some(n.into());
        }
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}
