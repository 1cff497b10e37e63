//! The client compiled to wasm32 in headless Chromium (and Firefox):
//! reqwest over the page's `fetch`, timers from `setTimeout`; every case of
//! tests/cases against the fault-injecting test server, cross-origin (the
//! server answers CORS).
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod cases;

use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                cases::$name().await
            }
        )*
    };
}

for_each_case!(browser_tests);
