//! Per-caller rate limits (`RELAY_<NAME>_RATE`, `STATS_RATE`), held in a
//! Durable Object per (route, caller): [`Limiter`].
//!
//! Why a Durable Object and not the Workers rate-limiting binding: the
//! binding counts per Cloudflare location and is eventually consistent, so
//! a caller spread over locations (or retried by a client across them) gets
//! more than the limit, and its periods are only 10 or 60 s. One object per
//! caller is one counter worldwide, exact, with any period, and runs the
//! same in local workerd as deployed. It costs one object request per
//! limited call, which is small next to what it guards (an upstream API
//! call, a fan-out to every shard).
//!
//! The count is a GCRA ("generic cell rate algorithm"): one number, the
//! theoretical arrival time; `n/period` lets a burst of `n` through and then
//! one every `period/n`, and a refusal says exactly when the next call fits.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::reply::json;

/// A rate: at most `count` calls per `period_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub count: u32,
    pub period_ms: u64,
}

impl Rate {
    /// `"20/min"`, `"5/s"`, `"100/hour"`, `"1000/day"`; `None` otherwise.
    pub fn parse(text: &str) -> Option<Rate> {
        let (count, unit) = text.trim().split_once('/')?;
        let count: u32 = count.trim().parse().ok().filter(|&n| n > 0)?;
        let period_ms = match unit.trim() {
            "s" | "sec" | "second" => 1_000,
            "min" | "minute" => 60_000,
            "h" | "hour" => 3_600_000,
            "day" => 86_400_000,
            _ => return None,
        };
        Some(Rate { count, period_ms })
    }

    /// One GCRA step at `now` (ms) for the stored arrival time `tat`:
    /// `Ok(new tat)` when the call fits, `Err(ms until it would)` otherwise.
    pub fn take(&self, tat: f64, now: f64) -> std::result::Result<f64, f64> {
        let interval = self.period_ms as f64 / f64::from(self.count);
        let next = tat.max(now) + interval;
        let early = next - self.period_ms as f64 - now;
        if early > 0.0 {
            Err(early)
        } else {
            Ok(next)
        }
    }
}

/// One caller's counter for one route. Its storage holds the arrival time
/// while it matters and is deleted by an alarm when it no longer does, so
/// callers that come once (or forged addresses) leave nothing behind.
#[durable_object]
pub struct Limiter {
    state: State,
    /// The theoretical arrival time, ms; loaded from storage once.
    tat: std::cell::Cell<Option<f64>>,
}

const TAT_KEY: &str = "tat";

impl DurableObject for Limiter {
    fn new(state: State, _env: Env) -> Self {
        Limiter {
            state,
            tat: std::cell::Cell::new(None),
        }
    }

    /// `POST /take` with a `Rate`: `{"ok": true}` or `{"ok": false,
    /// "retry_after_ms": n}`.
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let rate: Rate = req.json().await?;
        let storage = self.state.storage();
        let tat = match self.tat.get() {
            Some(tat) => tat,
            None => storage.get::<f64>(TAT_KEY).await?.unwrap_or(0.0),
        };
        let now = worker::Date::now().as_millis() as f64;
        match rate.take(tat, now) {
            Ok(next) => {
                self.tat.set(Some(next));
                storage.put(TAT_KEY, next).await?;
                // Once `next` has passed the caller is back to a full burst,
                // the same as no record at all.
                storage.set_alarm((next - now).ceil() as i64 + 1).await?;
                json(200, &serde_json::json!({ "ok": true }))
            }
            Err(wait) => {
                self.tat.set(Some(tat));
                json(
                    200,
                    &serde_json::json!({ "ok": false, "retry_after_ms": wait.ceil() }),
                )
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = worker::Date::now().as_millis() as f64;
        if self.tat.get().is_none_or(|tat| tat <= now) {
            self.tat.set(None);
            self.state.storage().delete_all().await?;
        }
        Response::empty()
    }
}

/// Takes one call from the counter `key` (route and caller) at `rate`:
/// `Ok(None)` when it fits, `Ok(Some(seconds))` to wait (a `Retry-After`).
pub async fn take(env: &Env, key: &str, rate: Rate) -> Result<Option<u64>> {
    let stub = env.durable_object("LIMITS")?.get_by_name(key)?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_body(Some(serde_json::to_string(&rate)?.into()));
    let mut answer = stub
        .fetch_with_request(Request::new_with_init(
            "https://limiter.internal/take",
            &init,
        )?)
        .await?;
    let answer: serde_json::Value = answer.json().await?;
    if answer["ok"].as_bool() == Some(true) {
        return Ok(None);
    }
    let ms = answer["retry_after_ms"].as_f64().unwrap_or(1_000.0);
    Ok(Some(((ms / 1_000.0).ceil() as u64).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_their_units() {
        let rate = |count, period_ms| Some(Rate { count, period_ms });
        assert_eq!(Rate::parse("20/min"), rate(20, 60_000));
        assert_eq!(Rate::parse(" 5 / s "), rate(5, 1_000));
        assert_eq!(Rate::parse("100/hour"), rate(100, 3_600_000));
        assert_eq!(Rate::parse("1000/day"), rate(1_000, 86_400_000));
        for bad in ["", "20", "0/min", "-1/min", "x/min", "20/week", "20/"] {
            assert_eq!(Rate::parse(bad), None, "{bad:?}");
        }
    }

    /// Runs calls at the given times (ms) from a fresh counter; returns
    /// `Ok` or the wait in ms for each.
    fn run(rate: Rate, times: &[f64]) -> Vec<std::result::Result<(), f64>> {
        let mut tat = 0.0;
        times
            .iter()
            .map(|&now| match rate.take(tat, now) {
                Ok(next) => {
                    tat = next;
                    Ok(())
                }
                Err(wait) => Err(wait),
            })
            .collect()
    }

    #[test]
    fn a_burst_of_count_then_one_per_interval_and_the_wait_is_exact() {
        let rate = Rate::parse("3/min").unwrap();
        let t0 = 1_000_000.0;
        assert_eq!(
            run(
                rate,
                &[t0, t0, t0, t0, t0 + 19_999.0, t0 + 20_000.0, t0 + 20_000.0]
            ),
            [
                Ok(()),
                Ok(()),
                Ok(()),
                Err(20_000.0),
                Err(1.0),
                Ok(()),
                Err(20_000.0)
            ]
        );
        // After a quiet period the whole burst is back, and no more.
        assert_eq!(
            run(
                rate,
                &[
                    t0,
                    t0,
                    t0,
                    t0 + 600_000.0,
                    t0 + 600_000.0,
                    t0 + 600_000.0,
                    t0 + 600_000.0
                ]
            ),
            [
                Ok(()),
                Ok(()),
                Ok(()),
                Ok(()),
                Ok(()),
                Ok(()),
                Err(20_000.0)
            ]
        );
    }

    #[test]
    fn a_refused_call_does_not_count() {
        let rate = Rate::parse("1/s").unwrap();
        // Hammering while refused does not push the next allowed call back.
        let mut times = vec![0.0];
        times.extend((1..100).map(|i| f64::from(i) * 5.0));
        times.push(1_000.0);
        let results = run(rate, &times);
        assert_eq!(results[0], Ok(()));
        assert!(results[1..100].iter().all(Result::is_err));
        assert_eq!(results[100], Ok(()));
    }
}
