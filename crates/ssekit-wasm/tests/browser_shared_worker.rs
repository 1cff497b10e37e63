//! The EventSource inside a shared Web Worker: no `window`, no
//! `document`; `fetch`, timers and `location` come from the worker's global
//! scope. The main scenarios, against the same real server.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::Array;
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_shared_worker);

include!("support/worker_scenarios.rs");
