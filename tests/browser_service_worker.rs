//! The EventSource inside a Service Worker: no `window`, no
//! `document`; `fetch`, timers and `location` come from the worker's global
//! scope. The main scenarios, against the same real server.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

mod common;

use common::browser::*;
use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_service_worker);

include!("common/worker_scenarios.rs");
