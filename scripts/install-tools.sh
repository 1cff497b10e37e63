#!/usr/bin/env bash
# Installs, idempotently and with progress, every tool the tests and builds need.
# Versions are pinned so a fresh machine gets exactly what main was tested with
# (the comments at each step say why each pin and each registry).
#
#   scripts/install-tools.sh            # core + browser test tools
#   SSEKIT_SKIP_FIREFOX=1 scripts/...   # do not try Firefox
set -euo pipefail

WASM_PACK_VERSION=0.15.1
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml / Cargo.lock
GECKODRIVER_VERSION=0.37.1
WORKER_BUILD_VERSION=0.8.7     # must match the worker crate pin in Cargo.toml / hub/Cargo.toml
CARGO_FUZZ_VERSION=0.13.2

step() { printf '\n==> [install] %s\n' "$*"; }
have_version() { # have_version CMD EXPECTED: does `CMD --version` mention EXPECTED?
  # Output captured first: `grep -q` stopping early would kill a long
  # --version (geckodriver's) with SIGPIPE, and pipefail would call it absent.
  local out
  command -v "$1" >/dev/null 2>&1 && out=$("$1" --version 2>/dev/null) && grep -qF "$2" <<<"$out"
}
export PATH="$HOME/.cargo/bin:$PATH"

step "rust target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "already installed"
else
  rustup target add wasm32-unknown-unknown
fi

step "apt packages: chromium chromium-driver binaryen"
apt_install() { # apt_install PKG...: install the missing ones
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then echo "already installed: $*"; return 0; fi
  echo "installing: ${missing[*]}"
  if [ ! -f /tmp/.ssekit-apt-updated ]; then
    apt-get update -qq && touch /tmp/.ssekit-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
apt_install chromium chromium-driver binaryen

step "node (runs the browser tests' SSE server)"
if command -v node >/dev/null 2>&1; then
  echo "already installed: node $(node --version)"
else
  apt_install nodejs
fi

step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (provides wasm-bindgen-test-runner)"
if have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  echo "already installed"
else
  # Not --locked: its lockfile names a webpki-roots release this registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

step "wasm-pack $WASM_PACK_VERSION"
if have_version wasm-pack "$WASM_PACK_VERSION"; then
  echo "already installed"
else
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION" --force
fi

step "cargo-fuzz $CARGO_FUZZ_VERSION (scripts/fuzz.sh)"
if have_version cargo-fuzz "$CARGO_FUZZ_VERSION"; then
  echo "already installed"
else
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --force
fi

step "worker-build $WORKER_BUILD_VERSION (builds the hub worker, hub/)"
if have_version worker-build "$WORKER_BUILD_VERSION"; then
  echo "already installed"
else
  cargo install --locked worker-build --version "$WORKER_BUILD_VERSION" --force
fi

if [ "${SSEKIT_SKIP_FIREFOX:-0}" != 1 ]; then
  step "optional: firefox-esr + geckodriver $GECKODRIVER_VERSION"
  if apt_install firefox-esr; then
    if have_version geckodriver "$GECKODRIVER_VERSION"; then
      echo "geckodriver already installed"
    else
      cargo install --locked geckodriver --version "$GECKODRIVER_VERSION" --force \
        || echo "geckodriver did not install; Firefox tests will be skipped"
    fi
  else
    echo "firefox-esr did not install; Firefox tests will be skipped"
  fi
fi

step "tools ready"
