//! Reconnection delays: the spec's reconnection time (C10), which a server's
//! `retry` field sets, stretched by an optional exponential backoff.

use core::fmt;

/// The reconnection time a client starts with (C10: implementation-defined;
/// 3 s is what browsers use).
pub const DEFAULT_RECONNECTION_MS: u64 = 3_000;

/// The largest [`RetryPolicy::try_with_multiplier`] accepts.
const MAX_MULTIPLIER: f64 = 1_000.0;

/// How long to wait before each reconnect, and when to give up.
///
/// The delay before the `n`-th consecutive reconnect (1-based) is
/// `base * multiplier^(n-1)`, capped at `max_ms`, then spread by ±`jitter`
/// (a fraction). `base` is the server's last `retry` value, or `initial_ms`
/// until it sends one.
///
/// No hot loops: from the second consecutive reconnect on, the delay is at
/// least `initial_ms * multiplier^(n-2)` (capped at the larger of `max_ms`
/// and `initial_ms`), so neither a server's `retry: 0` nor `max_ms: 0` can
/// make a client reconnect in a tight loop against a server that answers and
/// hangs up at once; set `initial_ms` to 0 to allow it. The count starts over
/// only after a connection stayed open for
/// [`reset_after_ms`](RetryPolicy::reset_after_ms) (60 s by default): one
/// that ends sooner counts as a failed attempt whatever it delivered, so a
/// server that ends its streams every few minutes still gets exactly its
/// `retry` delay, and one that hangs up at once gets the backoff.
///
/// Build one from [`RetryPolicy::default`] (browser behaviour) with the
/// `with_` methods; the two that take a fraction refuse values that would
/// make the delay meaningless (NaN, infinities, out of range):
///
/// ```
/// use ssekit::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_initial_ms(1_000)
///     .with_max_ms(5_000)
///     .with_max_attempts(Some(4))
///     .try_with_multiplier(2.0)?;
/// let delays: Vec<_> = (1..=4).map(|n| policy.delay_ms(n, None, 0.5)).collect();
/// assert_eq!(delays, [1_000, 2_000, 4_000, 5_000]);
/// assert_eq!(policy.delay_ms(1, Some(250), 0.5), 250); // the server's retry sets the base
/// assert!(policy.gives_up_after(4));
///
/// assert!(RetryPolicy::default().try_with_jitter(f64::NAN).is_err());
/// # Ok::<(), ssekit::RetryPolicyError>(())
/// ```
///
/// The fields are private, so an unchecked value cannot be slipped in:
///
/// ```compile_fail,E0451
/// let policy = ssekit::RetryPolicy { jitter: f64::NAN, ..ssekit::RetryPolicy::default() };
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    initial_ms: u64,
    max_ms: u64,
    /// Finite, in `1.0..=MAX_MULTIPLIER`.
    multiplier: f64,
    /// Finite, in `0.0..=1.0`.
    jitter: f64,
    max_attempts: Option<u32>,
    reset_after_ms: u64,
}

/// How long a connection must stay open before the count of consecutive
/// failed attempts starts over (LaunchDarkly's clients use the same).
pub const DEFAULT_RESET_AFTER_MS: u64 = 60_000;

/// A value [`RetryPolicy`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryPolicyError {
    /// The multiplier is not a number from 1 to 1000.
    Multiplier,
    /// The jitter is not a fraction from 0 to 1.
    Jitter,
}

impl fmt::Display for RetryPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryPolicyError::Multiplier => "the retry multiplier must be a number from 1 to 1000",
            RetryPolicyError::Jitter => "the retry jitter must be a fraction from 0 to 1",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for RetryPolicyError {}

impl Default for RetryPolicy {
    /// Browser behaviour: 3 s, constant, no jitter, forever; the count
    /// starts over after a connection stayed open for 60 s.
    fn default() -> Self {
        RetryPolicy {
            initial_ms: DEFAULT_RECONNECTION_MS,
            max_ms: u64::MAX,
            multiplier: 1.0,
            jitter: 0.0,
            max_attempts: None,
            reset_after_ms: DEFAULT_RESET_AFTER_MS,
        }
    }
}

impl RetryPolicy {
    /// Sets the base delay used until the server sends `retry`.
    #[must_use]
    pub const fn with_initial_ms(mut self, initial_ms: u64) -> Self {
        self.initial_ms = initial_ms;
        self
    }

    /// Sets the upper bound on any delay (before jitter). It may be below
    /// the initial delay: then every delay is `max_ms`.
    #[must_use]
    pub const fn with_max_ms(mut self, max_ms: u64) -> Self {
        self.max_ms = max_ms;
        self
    }

    /// Sets how many consecutive reconnects are allowed without a successful
    /// open; `None` for no limit (what browsers do).
    #[must_use]
    pub const fn with_max_attempts(mut self, max_attempts: Option<u32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets how long a connection must stay open (from its response to its
    /// end) for the next reconnect to count as the first again. `0`: every
    /// successful open starts the count over.
    #[must_use]
    pub const fn with_reset_after_ms(mut self, reset_after_ms: u64) -> Self {
        self.reset_after_ms = reset_after_ms;
        self
    }

    /// Sets the growth per consecutive failed attempt: a number from `1.0`
    /// (a constant delay, what browsers do) to `1000.0`. Anything else,
    /// NaN and infinities included, is refused.
    pub fn try_with_multiplier(mut self, multiplier: f64) -> Result<Self, RetryPolicyError> {
        if !(1.0..=MAX_MULTIPLIER).contains(&multiplier) {
            return Err(RetryPolicyError::Multiplier);
        }
        self.multiplier = multiplier;
        Ok(self)
    }

    /// Sets the random spread: a fraction from `0.0` to `1.0` of the delay,
    /// either way. Anything else, NaN included, is refused.
    pub fn try_with_jitter(mut self, jitter: f64) -> Result<Self, RetryPolicyError> {
        if !(0.0..=1.0).contains(&jitter) {
            return Err(RetryPolicyError::Jitter);
        }
        self.jitter = jitter;
        Ok(self)
    }

    /// The base delay until the server sends `retry`.
    pub const fn initial_ms(&self) -> u64 {
        self.initial_ms
    }

    /// The upper bound on any delay (before jitter).
    pub const fn max_ms(&self) -> u64 {
        self.max_ms
    }

    /// The growth per consecutive failed attempt.
    pub const fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// The random spread, a fraction of the delay.
    pub const fn jitter(&self) -> f64 {
        self.jitter
    }

    /// Consecutive reconnects allowed without a successful open.
    pub const fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// How long a connection must stay open for the count of failed attempts
    /// to start over.
    pub const fn reset_after_ms(&self) -> u64 {
        self.reset_after_ms
    }

    /// The delay before reconnect number `attempt` (1-based), with
    /// `server_retry_ms` the server's last `retry` value and `random` a
    /// uniform number in `0.0..=1.0` for the jitter (`0.0` shortest, `0.5`
    /// no spread, `1.0` longest). A `random` outside that range is clamped
    /// to it; NaN counts as `0.5`.
    pub fn delay_ms(&self, attempt: u32, server_retry_ms: Option<u64>, random: f64) -> u64 {
        let max = self.max_ms as f64;
        let initial = self.initial_ms as f64;
        let base = server_retry_ms.unwrap_or(self.initial_ms) as f64;
        let mut capped = self.grow(base.min(max), attempt.saturating_sub(1), max);
        if attempt >= 2 {
            // The floor against hot loops (see the type's documentation).
            let cap = max.max(initial);
            capped = capped.max(self.grow(initial.min(cap), attempt - 2, cap));
        }
        let random = if random.is_nan() {
            0.5
        } else {
            random.clamp(0.0, 1.0)
        };
        let spread = capped * self.jitter * (2.0 * random - 1.0);
        // Every operand is finite (the constructor refuses NaN and
        // infinities, `random` was made finite), so the sum is too; f64 ->
        // u64 casts saturate.
        (capped + spread).max(0.0) as u64
    }

    /// `value * multiplier^steps`, capped at `cap`, by repeated multiplication
    /// (no_std has no powi), stopping once the cap is reached; past ~2000
    /// steps any multiplier that grows at all has long reached it.
    fn grow(&self, mut value: f64, steps: u32, cap: f64) -> f64 {
        for _ in 0..steps.min(2_000) {
            if value >= cap || self.multiplier <= 1.0 {
                break;
            }
            value = (value * self.multiplier).min(cap);
        }
        value
    }

    /// Whether `attempts` consecutive failed reconnects exhaust the policy.
    pub fn gives_up_after(&self, attempts: u32) -> bool {
        self.max_attempts.is_some_and(|max| attempts >= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn browser_default_is_three_seconds_forever() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_ms(1, None, 0.9), 3_000);
        assert_eq!(policy.delay_ms(50, None, 0.1), 3_000);
        assert!(!policy.gives_up_after(u32::MAX));
        assert_eq!(
            (
                policy.initial_ms(),
                policy.max_ms(),
                policy.multiplier(),
                policy.jitter(),
                policy.max_attempts(),
                policy.reset_after_ms()
            ),
            (3_000, u64::MAX, 1.0, 0.0, None, 60_000)
        );
        // And what each setter set (values other than the defaults, so
        // that a getter answering a constant fails).
        let set = RetryPolicy::default()
            .with_initial_ms(10)
            .with_max_ms(20)
            .try_with_multiplier(2.5)
            .and_then(|policy| policy.try_with_jitter(0.25))
            .unwrap()
            .with_max_attempts(Some(7))
            .with_reset_after_ms(30);
        assert_eq!(
            (
                set.initial_ms(),
                set.max_ms(),
                set.multiplier(),
                set.jitter(),
                set.max_attempts(),
                set.reset_after_ms()
            ),
            (10, 20, 2.5, 0.25, Some(7), 30)
        );
    }

    #[test]
    fn a_server_retry_of_zero_is_exact_once_then_the_floor_holds() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=4).map(|n| policy.delay_ms(n, Some(0), 0.5)).collect();
        assert_eq!(delays, [0, 3_000, 3_000, 3_000]);
        let doubling = policy.try_with_multiplier(2.0).unwrap();
        let delays: Vec<_> = (1..=4)
            .map(|n| doubling.delay_ms(n, Some(0), 0.5))
            .collect();
        assert_eq!(delays, [0, 3_000, 6_000, 12_000]);
        // A server retry above the floor is kept, and grows.
        assert_eq!(doubling.delay_ms(2, Some(10_000), 0.5), 20_000);
    }

    #[test]
    fn max_ms_below_initial_caps_the_first_delay_but_not_the_floor() {
        let policy = RetryPolicy::default().with_max_ms(0);
        let delays: Vec<_> = (1..=3).map(|n| policy.delay_ms(n, None, 0.5)).collect();
        assert_eq!(delays, [0, 3_000, 3_000]);
        let doubling = RetryPolicy::default()
            .with_max_ms(10_000)
            .try_with_multiplier(2.0)
            .unwrap();
        let delays: Vec<_> = (1..=6)
            .map(|n| doubling.delay_ms(n, Some(0), 0.5))
            .collect();
        assert_eq!(delays, [0, 3_000, 6_000, 10_000, 10_000, 10_000]);
        // An initial delay of 0 is the caller's explicit choice.
        let eager = RetryPolicy::default().with_initial_ms(0);
        assert_eq!(eager.delay_ms(5, Some(0), 0.5), 0);
    }

    #[test]
    fn jitter_spreads_both_ways_within_bounds() {
        let policy = RetryPolicy::default().try_with_jitter(0.5).unwrap();
        assert_eq!(policy.delay_ms(1, None, 0.0), 1_500);
        assert_eq!(policy.delay_ms(1, None, 0.5), 3_000);
        assert_eq!(policy.delay_ms(1, None, 1.0), 4_500);
        assert_eq!(policy.delay_ms(1, None, -7.0), 1_500);
        assert_eq!(policy.delay_ms(1, None, f64::INFINITY), 4_500);
    }

    #[test]
    fn nan_and_infinite_values_are_refused() {
        // A NaN jitter used to make every delay 0 ms: a reconnect loop.
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.1, 1.1] {
            assert_eq!(
                RetryPolicy::default().try_with_jitter(bad),
                Err(RetryPolicyError::Jitter),
                "jitter {bad}"
            );
        }
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            0.5,
            1_000.5,
        ] {
            assert_eq!(
                RetryPolicy::default().try_with_multiplier(bad),
                Err(RetryPolicyError::Multiplier),
                "multiplier {bad}"
            );
        }
        let edges = RetryPolicy::default()
            .try_with_jitter(1.0)
            .and_then(|p| p.try_with_jitter(0.0))
            .and_then(|p| p.try_with_multiplier(1.0))
            .and_then(|p| p.try_with_multiplier(1_000.0));
        assert!(edges.is_ok());
    }

    #[test]
    fn nan_random_is_no_spread_not_zero() {
        // NaN from the caller's random source used to give 0 ms as well,
        // even with no jitter at all (0 * NaN is NaN).
        assert_eq!(RetryPolicy::default().delay_ms(1, None, f64::NAN), 3_000);
        let jittery = RetryPolicy::default().try_with_jitter(1.0).unwrap();
        assert_eq!(jittery.delay_ms(1, None, f64::NAN), 3_000);
    }

    #[test]
    fn initial_above_max_is_capped() {
        let policy = RetryPolicy::default()
            .with_initial_ms(10_000)
            .with_max_ms(2_000);
        assert_eq!(policy.delay_ms(1, None, 0.5), 2_000);
    }

    #[test]
    fn absurd_values_saturate() {
        let policy = RetryPolicy::default().try_with_multiplier(10.0).unwrap();
        assert_eq!(policy.delay_ms(u32::MAX, Some(u64::MAX), 0.5), u64::MAX);
        assert_eq!(policy.delay_ms(1, Some(0), 0.5), 0);
        let full_jitter = policy.try_with_jitter(1.0).unwrap();
        assert_eq!(full_jitter.delay_ms(u32::MAX, None, 1.0), u64::MAX);
        assert_eq!(full_jitter.delay_ms(u32::MAX, None, 0.0), 0);
    }

    #[test]
    fn error_messages() {
        use alloc::string::ToString;
        assert_eq!(
            RetryPolicyError::Jitter.to_string(),
            "the retry jitter must be a fraction from 0 to 1"
        );
        assert_eq!(
            RetryPolicyError::Multiplier.to_string(),
            "the retry multiplier must be a number from 1 to 1000"
        );
    }
}
