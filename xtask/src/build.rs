//! Builds: the npm package's files, the package itself, the hub worker and
//! the demo site.

use std::fs;
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use crate::cmd::{create_dir, npm_install_unless, read_text, say, usage, which, write_text, Cmd};
use crate::setup;

pub fn command(args: &[String]) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["web"] => say(web("pkg")?),
        ["web", out] => say(web(out)?),
        ["package"] => package()?,
        ["worker"] => worker(false)?,
        ["worker", "--dev"] => worker(true)?,
        ["site"] => site()?,
        _ => {
            return Err(usage(format!(
                "unknown build `{}`: web [OUT-DIR], package, worker [--dev] or site",
                args.join(" ")
            )))
        }
    }
    Ok(())
}

const WASM_OPT: &str = "node_modules/.bin/wasm-opt";
const ESBUILD: &str = "node_modules/esbuild/bin/esbuild";

/// Builds the npm package's files into `out`: the wasm core
/// (crates/ssekit-wasm, wasm-pack with the wasm-release profile, then
/// wasm-opt -Oz from npm's binaryen: Debian's binaryen 108 cannot read the
/// features today's rustc emits) as ssekit.wasm; the JavaScript shell
/// (crates/ssekit-wasm/js/ssekit.js) and the entries from pkg-template/,
/// minified with esbuild; the declarations. Returns the gzip size line of
/// what a browser loads from the default entry (index.js + ssekit.js +
/// ssekit.wasm).
pub fn web(out: &str) -> Result<String> {
    setup::ensure_build_tools()?;
    npm_install_unless(&[WASM_OPT, ESBUILD])?;
    // SIMD128 (every current browser has it): memchr's line search uses it.
    let rustflags = format!(
        "{} -C target-feature=+simd128",
        std::env::var("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS").unwrap_or_default()
    );
    let build = "target/wasm-build";
    Cmd::new("wasm-pack")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &rustflags)
        .args(["build", "crates/ssekit-wasm", "--target", "web"])
        .args([
            "--profile",
            "wasm-release",
            "--no-opt",
            "--out-name",
            "ssekit",
        ])
        .args(["--out-dir", &format!("../../{build}"), "--no-pack"])
        .run()?;
    create_dir(out)?;
    // --zero-filled-memory: the module defines its memory (a fresh one is zeroes).
    Cmd::new(WASM_OPT)
        .arg(format!("{build}/ssekit_bg.wasm"))
        .args(["-Oz", "--converge", "--strip-debug", "--strip-producers"])
        .args(["--strip-target-features", "--zero-filled-memory"])
        .args(["--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
        .args(["--enable-sign-ext", "--enable-mutable-globals"])
        .args([
            "--enable-reference-types",
            "--enable-multivalue",
            "--enable-simd",
        ])
        .args(["-o", &format!("{out}/ssekit.wasm")])
        .run()?;
    // wasm-bindgen's generated JS glue is not shipped: js/ssekit.js
    // instantiates the module itself (its exports take and return numbers
    // only). No --keep-names: the exported classes are named by object keys
    // (see js/ssekit.js).
    // share.js (the `share` option) is a file of its own, loaded only by a
    // source that shares.
    for file in ["ssekit", "share"] {
        Cmd::new(ESBUILD)
            .arg(format!("crates/ssekit-wasm/js/{file}.js"))
            .args(["--minify", "--format=esm"])
            .args(["--target=es2022", "--log-level=warning"])
            .arg(format!("--outfile={out}/{file}.js"))
            .run()?;
    }
    // The browser entry carries the shell in the same file: a page then
    // waits for two files one after the other (the entry, the wasm), not
    // three. Node and workerd read files locally and share ssekit.js.
    for entry in ["index", "node", "workerd"] {
        // The entry is bundled from beside the minified shell it imports.
        let (source, bundle): (String, &[&str]) = if entry == "index" {
            copy("pkg-template/index.js", &format!("{out}/index.js"))?;
            (
                format!("{out}/index.js"),
                &[
                    "--bundle",
                    "--target=es2022",
                    "--allow-overwrite",
                    "--external:./share.js",
                ],
            )
        } else {
            (format!("pkg-template/{entry}.js"), &[])
        };
        Cmd::new(ESBUILD)
            .arg(source)
            .args(["--minify", "--format=esm", "--log-level=warning"])
            .args(bundle)
            .arg(format!("--outfile={out}/{entry}.js"))
            .run()?;
    }
    // The shared worker of `share: true` carries its own shell, built never
    // to share: no dynamic import in it for a bundler to split (Vite's
    // default worker format cannot).
    Cmd::new(ESBUILD)
        .arg("crates/ssekit-wasm/js/share-worker.js")
        .args(["--bundle", "--minify", "--format=esm", "--target=es2022"])
        .args(["--define:__SHARE__=false", "--log-level=warning"])
        .arg(format!("--outfile={out}/share-worker.js"))
        .run()?;
    copy("pkg-template/index.d.ts", &format!("{out}/index.d.ts"))?;
    let wasm_path = format!("{out}/ssekit.wasm");
    let wasm_bytes = fs::metadata(&wasm_path)
        .with_context(|| format!("reading {wasm_path}"))?
        .len();
    let wasm = gzip_size(&wasm_path)?;
    let js = gzip_size(&format!("{out}/index.js"))?;
    Ok(format!(
        "browser entry: wasm {wasm_bytes} B raw, {wasm} B gzip; JS {js} B gzip; total {} B gzip",
        wasm + js
    ))
}

/// The size of `path` compressed by `gzip -9 -n` (no file name or time in
/// the header): what a server sends for it.
pub fn gzip_size(path: &str) -> Result<usize> {
    let output = Cmd::new("gzip")
        .args(["-9", "-n", "-c", path])
        .read_bytes()?;
    Ok(output.len())
}

/// Builds the npm package into pkg/ (generated; not committed): the files
/// [`web`] makes, plus package.json (version from the wasm crate's
/// Cargo.toml) and the README from pkg-template/. Then packs it into
/// target/ssekit.tgz and prints `npm pack --dry-run`'s file list and the gzip
/// size of what a browser loads.
pub fn package() -> Result<()> {
    if Path::new("pkg").exists() {
        fs::remove_dir_all("pkg").with_context(|| "removing pkg/".to_string())?;
    }
    create_dir("target")?;
    let size = web("pkg")?;
    copy("pkg-template/README.md", "pkg/README.md")?;
    let version = wasm_crate_version()?;
    let template = read_text("pkg-template/package.json")?;
    const PLACEHOLDER: &str = "\"version\": \"0.0.0-filled-by-build\"";
    if !template.contains(PLACEHOLDER) {
        return Err(anyhow!(
            "pkg-template/package.json has no {PLACEHOLDER} to fill in"
        ));
    }
    write_text(
        "pkg/package.json",
        &template.replacen(PLACEHOLDER, &format!("\"version\": \"{version}\""), 1),
    )?;
    // npm pack lists what it packs (on stderr, as notices).
    say("==> npm pack (pkg/ into target/)");
    let listing = Cmd::new("npm")
        .args(["pack", "--pack-destination", "../target"])
        .dir("pkg")
        .read_all()?;
    // npm's warning about this machine's `nodedir` setting is noise here.
    for line in listing.lines().filter(|line| !line.contains("nodedir")) {
        say(line);
    }
    let packed = format!("target/ssekit-{version}.tgz");
    fs::rename(&packed, "target/ssekit.tgz")
        .with_context(|| format!("moving {packed} to target/ssekit.tgz"))?;
    say(format_args!("{size} (target 12288)"));
    Ok(())
}

/// The package's version: the wasm crate's (`cargo pkgid` ends with it).
fn wasm_crate_version() -> Result<String> {
    let id = Cmd::new("cargo")
        .args(["pkgid", "-p", "ssekit-wasm"])
        .read()?;
    let version = id.trim().rsplit(['#', '@']).next().unwrap_or_default();
    Ok(version.to_owned())
}

/// Builds the deployable worker (hub/) with worker-build into hub/build/,
/// using local tools instead of the downloads worker-build would attempt:
/// the pinned wasm-bindgen CLI, npm's esbuild (from wrangler) and npm's
/// binaryen wasm-opt. wrangler.toml runs this as its build command.
pub fn worker(dev: bool) -> Result<()> {
    worker_in("hub", dev)
}

/// Builds the worker crate in `dir` with worker-build into `dir`/build.
pub fn worker_in(dir: &str, dev: bool) -> Result<()> {
    setup::ensure_build_tools()?;
    npm_install_unless(&[ESBUILD, WASM_OPT])?;
    let root = std::env::current_dir().with_context(|| "the current directory".to_string())?;
    let tool = |variable: &str, default: std::path::PathBuf| {
        std::env::var_os(variable).unwrap_or_else(|| default.into_os_string())
    };
    let wasm_bindgen = match std::env::var_os("WASM_BINDGEN_BIN") {
        Some(path) => path,
        None => which("wasm-bindgen")
            .ok_or_else(|| {
                anyhow!("wasm-bindgen is not on PATH (`cargo xtask setup` installs it)")
            })?
            .into_os_string(),
    };
    Cmd::new("worker-build")
        .env("WASM_BINDGEN_BIN", wasm_bindgen)
        .env("ESBUILD_BIN", tool("ESBUILD_BIN", root.join(ESBUILD)))
        .env("WASM_OPT_BIN", tool("WASM_OPT_BIN", root.join(WASM_OPT)))
        .arg(if dev { "--dev" } else { "--release" })
        .dir(dir)
        .run()?;
    Cmd::new("ls").args(["-la", "build"]).dir(dir).run()
}

/// Assembles the demo site the worker serves as static assets
/// (wrangler.toml [assets] directory) in target/site: www/ plus the npm
/// package (pkg/, built unless SSEKIT_REUSE_PKG=1 and it exists) under
/// ssekit/, and demo-config.json when SSEKIT_DEMO_CONFIG holds one.
pub fn site() -> Result<()> {
    let reuse = std::env::var("SSEKIT_REUSE_PKG").as_deref() == Ok("1");
    if !reuse || !Path::new("pkg/index.js").exists() {
        package()?;
    }
    if Path::new("target/site").exists() {
        fs::remove_dir_all("target/site").with_context(|| "removing target/site".to_string())?;
    }
    Cmd::new("cp").args(["-r", "www", "target/site"]).run()?;
    Cmd::new("cp")
        .args(["-r", "pkg", "target/site/ssekit"])
        .run()?;
    // The demo's local tokens (`cargo xtask demo`), never part of a deployed site.
    if let Some(config) = std::env::var("SSEKIT_DEMO_CONFIG")
        .ok()
        .filter(|c| !c.is_empty())
    {
        write_text("target/site/demo-config.json", &format!("{config}\n"))?;
    }
    say("site assembled in target/site");
    Ok(())
}

fn copy(from: &str, to: &str) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("copying {from} to {to}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_size_has_no_name_in_the_header() {
        // 10 bytes of header (no file name), the 2-byte deflate stream of ""
        // (an empty fixed block), 8 bytes of trailer.
        assert_eq!(gzip_size("/dev/null").unwrap(), 20);
    }
}
