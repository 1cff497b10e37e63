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

/// Parses JSON text with serde_json. Objects keep the order of their keys
/// (read into a list by the visitor below, not into serde_json's sorted
/// map); floats are read with correct rounding (`float_roundtrip`:
/// `96.50000000000001` stays above 96.5, as Python and JavaScript read it).
/// Numbers with a fraction or an exponent are floats, others integers.
pub fn parse(text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|error| Error::new(error.to_string()))
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Json, D::Error> {
        deserializer.deserialize_any(Visitor)
    }
}

struct Visitor;

impl<'de> serde::de::Visitor<'de> for Visitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> std::result::Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> std::result::Result<Json, E> {
        Ok(Json::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> std::result::Result<Json, E> {
        Ok(i64::try_from(n).map_or(Json::Float(n as f64), Json::Int))
    }

    fn visit_f64<E>(self, x: f64) -> std::result::Result<Json, E> {
        Ok(Json::Float(x))
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> std::result::Result<Json, E> {
        Ok(Json::Str(s))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
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
