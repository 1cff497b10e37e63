//! The result files the reports read, as JSON values that keep the order of
//! object keys (a table lists clients in the order the bench ran them) and
//! tell integers from floats (`3` and `3.0` are printed as they were written).

use std::fmt;
use std::path::Path;

use crate::cmd::read_text;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Reads and parses `path`; errors name the file.
pub fn read(path: impl AsRef<Path>) -> Result<Json> {
    let path = path.as_ref();
    let text = read_text(path)?;
    parse(&text).map_err(|error| Error::new(format!("parsing {} as JSON: {error}", path.display())))
}

impl Json {
    /// The value of `key` in an object; an error names the key.
    pub fn get(&self, key: &str) -> Result<&Json> {
        self.find(key)
            .ok_or_else(|| Error::new(format!("no `{key}` in {}", self.short())))
    }

    /// The value of `key`, if this is an object that has it.
    pub fn find(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn num(&self) -> Result<f64> {
        match *self {
            Json::Int(n) => Ok(n as f64),
            Json::Float(x) => Ok(x),
            _ => Err(Error::new(format!("{} is not a number", self.short()))),
        }
    }

    pub fn str(&self) -> Result<&str> {
        match self {
            Json::Str(s) => Ok(s),
            _ => Err(Error::new(format!("{} is not a string", self.short()))),
        }
    }

    pub fn array(&self) -> Result<&[Json]> {
        match self {
            Json::Array(items) => Ok(items),
            _ => Err(Error::new(format!("{} is not an array", self.short()))),
        }
    }

    pub fn entries(&self) -> Result<&[(String, Json)]> {
        match self {
            Json::Object(entries) => Ok(entries),
            _ => Err(Error::new(format!("{} is not an object", self.short()))),
        }
    }

    /// Python's truth: false, null, 0, "", [] and {} are false.
    pub fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Int(n) => *n != 0,
            Json::Float(x) => *x != 0.0,
            Json::Str(s) => !s.is_empty(),
            Json::Array(items) => !items.is_empty(),
            Json::Object(entries) => !entries.is_empty(),
        }
    }

    /// The value for an error message, cut short.
    fn short(&self) -> String {
        let text = self.to_string();
        match text.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    }
}

/// As the reports print a value: numbers as Python prints them (`3`, `3.0`,
/// `0.25`), strings as they are, `True`/`False`/`None`, anything else as
/// JSON-ish text.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("None"),
            Json::Bool(true) => f.write_str("True"),
            Json::Bool(false) => f.write_str("False"),
            Json::Int(n) => write!(f, "{n}"),
            Json::Float(x) => f.write_str(&float_repr(*x)),
            Json::Str(s) => f.write_str(s),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A float as Python's `repr` writes it in the range result files use: the
/// shortest digits that read back the same, with `.0` on whole numbers.
pub fn float_repr(x: f64) -> String {
    let text = format!("{x}");
    if x.is_finite() && !text.contains('.') && !text.contains('e') {
        format!("{text}.0")
    } else {
        text
    }
}

/// Parses JSON text. Numbers with a fraction or an exponent are floats, read
/// with correct rounding (as Python and JavaScript read them); others are
/// integers.
pub fn parse(text: &str) -> Result<Json> {
    let mut parser = Parser {
        text: text.as_bytes(),
        at: 0,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.at != parser.text.len() {
        return Err(parser.error("text after the value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> Error {
        Error::new(format!("{what} at byte {}", self.at))
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", byte as char)))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("unknown word"))
        }
    }

    fn value(&mut self) -> Result<Json> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn object(&mut self) -> Result<Json> {
        self.expect(b'{')?;
        let mut entries: Vec<(String, Json)> = Vec::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(entries));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value()?;
            // A repeated key keeps its first place and its last value, as
            // JavaScript and Python read it.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(entries));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> Result<Json> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> Result<String> {
        self.at += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&byte) = self.text.get(self.at) {
                if byte == b'"' || byte == b'\\' {
                    break;
                }
                self.at += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.text[start..self.at])
                    .map_err(|_| self.error("invalid UTF-8 in a string"))?,
            );
            match self.text.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = *self
                        .text
                        .get(self.at)
                        .ok_or_else(|| self.error("unexpected end"))?;
                    self.at += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&unit)
                                && self.text[self.at..].starts_with(b"\\u")
                            {
                                self.at += 2;
                                let low = self.hex4()?;
                                0x10000
                                    + ((unit - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                unit
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                _ => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits"))?;
        self.at += 4;
        Ok(digits)
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.text.get(self.at) {
            self.at += 1;
        }
        let token = std::str::from_utf8(&self.text[start..self.at]).expect("ASCII");
        let is_float = token.contains(['.', 'e', 'E']);
        if !is_float {
            if let Ok(n) = token.parse() {
                return Ok(Json::Int(n));
            }
        }
        token.parse().map(Json::Float).map_err(|_| {
            self.at = start;
            self.error(&format!("bad number `{token}`"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_number_kinds() {
        let value = parse(r#"{"b": 1, "a": 2.0, "c": [0.25, null, true]}"#).unwrap();
        let keys: Vec<&str> = value
            .entries()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(value.get("b").unwrap().to_string(), "1");
        assert_eq!(value.get("a").unwrap().to_string(), "2.0");
        assert_eq!(value.get("c").unwrap().to_string(), "[0.25, None, True]");
        assert!(value.get("missing").is_err());
    }

    #[test]
    fn floats_are_read_with_correct_rounding() {
        // 96.50000000000001 rounds to 97, not (as a fast parser reads it) 96.
        let value = parse("[96.50000000000001, -1e3, 12]").unwrap();
        assert_eq!(value.array().unwrap()[0], Json::Float(96.50000000000001));
        assert_eq!(value.array().unwrap()[1], Json::Float(-1000.0));
        assert_eq!(value.array().unwrap()[2], Json::Int(12));
    }

    #[test]
    fn strings_and_errors() {
        let value = parse(r#"{"s": "a\"b\\c\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(value.get("s").unwrap().str().unwrap(), "a\"b\\cé😀\n");
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("[1, 2] x").is_err());
        assert!(parse("\"open").is_err());
    }
}
