//! What the reports share: rewriting a marked section of BENCHMARKS.md or
//! RELIABILITY.md, the verdict words, numbers written the way the sections
//! always wrote them, today's date, the versions of the tools measured, and
//! `cargo xtask report`, which rewrites a section from results already taken.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cmd::{read_text, say, write_text, Cmd};
use crate::json::{float_repr, Json};
use crate::{Error, Result};

pub const BENCHMARKS: &str = "BENCHMARKS.md";
pub const RELIABILITY: &str = "RELIABILITY.md";

/// Where a report reads its results and writes its section.
pub struct Paths {
    /// The directory holding the results (`target/` unless `--in`).
    pub results: PathBuf,
    /// The file whose section is rewritten, when not the report's own.
    pub out: Option<PathBuf>,
}

impl Paths {
    pub fn default_results() -> Paths {
        Paths {
            results: PathBuf::from("target"),
            out: None,
        }
    }

    pub fn result(&self, name: &str) -> PathBuf {
        self.results.join(name)
    }

    pub fn out(&self, default: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from(default))
    }
}

/// `report NAME [--in DIR] [--out FILE]`: the name of the section to write
/// and where its figures are. The caller (main.rs) hands them to the bench
/// or reliability module that knows the section, so this module, which
/// they both use, uses neither.
pub fn arguments(args: &[String]) -> Result<(String, Paths)> {
    let mut name = None;
    let mut paths = Paths::default_results();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--in" => {
                paths.results = PathBuf::from(
                    args.next()
                        .ok_or_else(|| Error::usage("`--in` needs a directory"))?,
                )
            }
            "--out" => {
                paths.out = Some(PathBuf::from(
                    args.next()
                        .ok_or_else(|| Error::usage("`--out` needs a file"))?,
                ))
            }
            other if name.is_none() && !other.starts_with('-') => name = Some(other.to_owned()),
            other => return Err(Error::usage(format!("unexpected `{other}` after `report`"))),
        }
    }
    let name = name.ok_or_else(|| {
        Error::usage("`report` needs a name: core, browser, runtime, edge, shards, package, fuzz, hostile or soak")
    })?;
    Ok((name, paths))
}

/// Replaces the text from `start` to the next `end` (every such span) in
/// `path` with `section`, which includes both markers, or appends `section`
/// when `start` is nowhere; then prints the section.
pub fn write_section(path: &Path, start: &str, end: &str, section: &str) -> Result<()> {
    let text = if path.exists() {
        read_text(path)?
    } else {
        "# Benchmarks\n".to_owned()
    };
    let text = if text.contains(start) {
        replace_spans(&text, start, end, section)
    } else {
        format!("{}\n\n{section}\n", text.trim_end_matches('\n'))
    };
    write_text(path, &text)?;
    say(section);
    Ok(())
}

fn replace_spans(text: &str, start: &str, end: &str, section: &str) -> String {
    let mut out = String::with_capacity(text.len() + section.len());
    let mut rest = text;
    while let Some(at) = rest.find(start) {
        let after_start = &rest[at + start.len()..];
        let Some(end_at) = after_start.find(end) else {
            break;
        };
        out.push_str(&rest[..at]);
        out.push_str(section);
        rest = &after_start[end_at + end.len()..];
    }
    out.push_str(rest);
    out
}

pub fn verdict(met: bool) -> &'static str {
    if met {
        "**met**"
    } else {
        "**missed**"
    }
}

/// `x` with `decimals` digits after the point, rounded half to even on the
/// exact binary value (as Python's `{:.2f}` does).
pub fn fixed(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

/// [`fixed`] with thousands separated by commas (Python's `{:,.0f}`).
pub fn grouped(x: f64, decimals: usize) -> String {
    group(&fixed(x, decimals))
}

/// An integer with thousands separated by commas (Python's `{:,}`).
pub fn grouped_int(n: i64) -> String {
    group(&n.to_string())
}

/// A number from a result file with thousands separated by commas, as
/// Python's `{:,}` writes an int or a float.
pub fn grouped_json(value: &Json) -> Result<String> {
    match value {
        Json::Int(n) => Ok(grouped_int(*n)),
        Json::Float(x) => Ok(group(&float_repr(*x))),
        other => Err(Error::new(format!("{other} is not a number"))),
    }
}

fn group(number: &str) -> String {
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (whole, fraction) = match digits.find(['.', 'e']) {
        Some(at) => digits.split_at(at),
        None => (digits, ""),
    };
    let mut out = String::from(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out.push_str(fraction);
    out
}

/// The median, as Python's `statistics.median`: the middle value, or the
/// mean of the two middle ones.
pub fn median(mut values: Vec<f64>) -> Result<f64> {
    if values.is_empty() {
        return Err(Error::new("the median of no values"));
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Ok(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Today's date, `YYYY-MM-DD`, in UTC (the machines that take figures run
/// in UTC).
pub fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    date_of_day((seconds / 86_400) as i64)
}

/// The civil date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn date_of_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A tool's `--version` line, or "" when it does not run (the report still
/// gets written; the line shows what was missing).
pub fn version_of(program: &str) -> String {
    Cmd::new(program)
        .arg("--version")
        .probe()
        .map(|out| out.trim().to_owned())
        .unwrap_or_default()
}

pub fn rustc_version() -> String {
    version_of("rustc")
}

pub fn chromium_version() -> String {
    version_of("/usr/bin/chromium")
}

pub fn workerd_version() -> String {
    version_of("node_modules/.bin/workerd")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_python_writes_them() {
        assert_eq!(grouped(1234567.5, 0), "1,234,568");
        assert_eq!(grouped(0.5, 0), "0");
        assert_eq!(grouped(2.5, 0), "2");
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(fixed(0.375, 2), "0.38");
        assert_eq!(grouped(-1234.25, 1), "-1,234.2");
        assert_eq!(grouped(999.96, 1), "1,000.0");
        assert_eq!(grouped_int(1000), "1,000");
        assert_eq!(grouped_int(-100), "-100");
        assert_eq!(grouped_json(&Json::Float(1234.5)).unwrap(), "1,234.5");
        assert_eq!(grouped_json(&Json::Int(12345)).unwrap(), "12,345");
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        assert!(median(vec![]).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(11_016), "2000-02-29");
        assert_eq!(date_of_day(20_780), "2026-11-23");
    }

    #[test]
    fn sections_are_replaced_or_appended() {
        let text = "a\n<!-- s -->old<!-- e -->\nb\n";
        assert_eq!(
            replace_spans(text, "<!-- s -->", "<!-- e -->", "<!-- s -->new<!-- e -->"),
            "a\n<!-- s -->new<!-- e -->\nb\n"
        );
        // A start without an end is left alone, as before.
        assert_eq!(
            replace_spans("x <!-- s --> y", "<!-- s -->", "<!-- e -->", "z"),
            "x <!-- s --> y"
        );
    }
}
