//! What differs between native (tokio) and wasm32 (fetch, setTimeout): the
//! clock, timers, randomness for the jitter, and whether futures are `Send`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;
    use std::time::{Duration, Instant};

    /// `Send` natively, where a stream may move between tokio's threads.
    pub trait MaybeSend: Send {}
    impl<T: Send + ?Sized> MaybeSend for T {}
    /// `Sync` natively.
    pub trait MaybeSync: Sync {}
    impl<T: Sync + ?Sized> MaybeSync for T {}

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
    pub type BoxStream<'a, T> = Pin<Box<dyn futures_core::Stream<Item = T> + Send + 'a>>;

    /// Milliseconds since the stream was made: the machine's `now`.
    pub struct Clock(Instant);

    impl Clock {
        pub fn new() -> Self {
            Clock(Instant::now())
        }
        pub fn now(&self) -> u64 {
            u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
        }
        fn instant(&self, ms: u64) -> Instant {
            // A deadline too far to represent is never reached.
            self.0
                .checked_add(Duration::from_millis(ms))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365))
        }
    }

    pub struct Timer {
        pub deadline: u64,
        sleep: Pin<Box<tokio::time::Sleep>>,
    }

    impl Timer {
        pub fn new(clock: &Clock, deadline: u64) -> Self {
            let sleep = Box::pin(tokio::time::sleep_until(clock.instant(deadline).into()));
            Timer { deadline, sleep }
        }
        pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
            self.sleep.as_mut().poll(cx)
        }
    }

    pub fn random() -> f64 {
        fastrand::f64()
    }

    /// No HTTP cache natively.
    pub fn no_store(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::*;

    /// Nothing is `Send` on wasm32 (reqwest's fetch futures are not).
    pub trait MaybeSend {}
    impl<T: ?Sized> MaybeSend for T {}
    /// Nothing is `Sync` on wasm32.
    pub trait MaybeSync {}
    impl<T: ?Sized> MaybeSync for T {}

    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
    pub type BoxStream<'a, T> = Pin<Box<dyn futures_core::Stream<Item = T> + 'a>>;

    /// Milliseconds since the stream was made, from `Date.now()`
    /// (`std::time::Instant` panics on wasm32-unknown-unknown).
    pub struct Clock(f64);

    impl Clock {
        pub fn new() -> Self {
            Clock(js_sys::Date::now())
        }
        pub fn now(&self) -> u64 {
            // `as` saturates; a clock set back reads as 0.
            (js_sys::Date::now() - self.0) as u64
        }
    }

    pub struct Timer {
        pub deadline: u64,
        timeout: gloo_timers::future::TimeoutFuture,
    }

    impl Timer {
        pub fn new(clock: &Clock, deadline: u64) -> Self {
            let ms = deadline
                .saturating_sub(clock.now())
                .min(u64::from(i32::MAX as u32));
            Timer {
                deadline,
                timeout: gloo_timers::future::TimeoutFuture::new(ms as u32),
            }
        }
        pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.timeout).poll(cx)
        }
    }

    pub fn random() -> f64 {
        js_sys::Math::random()
    }

    /// Cache mode `no-store` (C3) without a `Cache-Control` header, which
    /// would cost a CORS preflight; except in Cloudflare Workers, whose
    /// `fetch` refuses a `cache` field unless a compatibility flag is on
    /// (and has no HTTP cache on that path).
    pub fn no_store(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let user_agent = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .and_then(|navigator| js_sys::Reflect::get(&navigator, &"userAgent".into()))
            .ok()
            .and_then(|agent| agent.as_string());
        match user_agent.as_deref() {
            Some("Cloudflare-Workers") => request,
            _ => request.fetch_cache_no_store(),
        }
    }
}

pub use imp::*;
