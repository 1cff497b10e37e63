//! Reconnection delays: the spec's reconnection time (C10), which a server's
//! `retry` field sets, stretched by an optional exponential backoff.

/// The reconnection time a client starts with (C10: implementation-defined;
/// 3 s is what browsers use).
pub const DEFAULT_RECONNECTION_MS: u64 = 3_000;

/// How long to wait before each reconnect, and when to give up.
///
/// The delay before the `n`-th consecutive reconnect (1-based) is
/// `base * multiplier^(n-1)`, capped at `max_ms`, then spread by ±`jitter`
/// (a fraction). `base` is the server's last `retry` value, or `initial_ms`
/// until it sends one. A successful open resets the count.
///
/// ```
/// use ssekit::RetryPolicy;
///
/// let policy = RetryPolicy { initial_ms: 1_000, multiplier: 2.0, max_ms: 5_000, jitter: 0.0, max_attempts: Some(4) };
/// let delays: Vec<_> = (1..=4).map(|n| policy.delay_ms(n, None, 0.5)).collect();
/// assert_eq!(delays, [1_000, 2_000, 4_000, 5_000]);
/// assert_eq!(policy.delay_ms(1, Some(250), 0.5), 250); // the server's retry sets the base
/// assert!(policy.gives_up_after(4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Base delay until the server sends `retry`.
    pub initial_ms: u64,
    /// Upper bound on any delay (before jitter).
    pub max_ms: u64,
    /// Growth per consecutive failed attempt; `1.0` keeps the delay constant
    /// (what browsers do).
    pub multiplier: f64,
    /// Random spread, a fraction in `0.0..=1.0` of the delay, either way.
    pub jitter: f64,
    /// Consecutive reconnects allowed without a successful open; `None` for
    /// no limit (what browsers do).
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    /// Browser behaviour: 3 s, constant, forever.
    fn default() -> Self {
        RetryPolicy {
            initial_ms: DEFAULT_RECONNECTION_MS,
            max_ms: u64::MAX,
            multiplier: 1.0,
            jitter: 0.0,
            max_attempts: None,
        }
    }
}

impl RetryPolicy {
    /// The delay before reconnect number `attempt` (1-based), with
    /// `server_retry_ms` the server's last `retry` value and `random` a
    /// uniform number in `0.0..1.0` for the jitter.
    pub fn delay_ms(&self, attempt: u32, server_retry_ms: Option<u64>, random: f64) -> u64 {
        let max = self.max_ms as f64;
        let mut capped = (server_retry_ms.unwrap_or(self.initial_ms) as f64).min(max);
        // base * multiplier^(attempt-1), by repeated multiplication (no_std
        // has no powi), stopping once the cap is reached; past ~2000 steps
        // any multiplier that grows at all has long reached it.
        for _ in 1..attempt.min(2_000) {
            if capped >= max || self.multiplier <= 1.0 {
                break;
            }
            capped = (capped * self.multiplier.max(1.0)).min(max);
        }
        let jitter = self.jitter.clamp(0.0, 1.0);
        let spread = capped * jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        // f64 -> u64 casts saturate; NaN cannot occur (all inputs finite).
        (capped + spread).max(0.0) as u64
    }

    /// Whether `attempts` consecutive failed reconnects exhaust the policy.
    pub fn gives_up_after(&self, attempts: u32) -> bool {
        self.max_attempts.is_some_and(|max| attempts >= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_default_is_three_seconds_forever() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_ms(1, None, 0.9), 3_000);
        assert_eq!(policy.delay_ms(50, None, 0.1), 3_000);
        assert!(!policy.gives_up_after(u32::MAX));
    }

    #[test]
    fn jitter_spreads_both_ways_within_bounds() {
        let policy = RetryPolicy {
            jitter: 0.5,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay_ms(1, None, 0.0), 1_500);
        assert_eq!(policy.delay_ms(1, None, 0.5), 3_000);
        assert_eq!(policy.delay_ms(1, None, 1.0), 4_500);
    }

    #[test]
    fn absurd_values_saturate() {
        let policy = RetryPolicy {
            multiplier: 10.0,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay_ms(u32::MAX, Some(u64::MAX), 0.5), u64::MAX);
        assert_eq!(policy.delay_ms(1, Some(0), 0.5), 0);
        let shrinking = RetryPolicy {
            multiplier: 0.1,
            ..RetryPolicy::default()
        };
        assert_eq!(
            shrinking.delay_ms(3, None, 0.5),
            3_000,
            "a multiplier below 1 does not shrink"
        );
    }
}
