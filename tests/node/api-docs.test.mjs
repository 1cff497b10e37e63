// The package's JavaScript API is described in three places: the TypeScript
// declarations (pkg-template/index.d.ts), the package README
// (pkg-template/README.md) and the project README. The declarations are the
// reference; these tests fail when the package exports a name they do not
// declare, when an option, error field or error code they declare is not
// what the shell reads or makes, or when either README leaves one out.
//
//   SSEKIT_PKG=pkg node --test tests/node/api-docs.test.mjs
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";

const root = resolve(import.meta.dirname, "../..");
const read = (path) => readFileSync(resolve(root, path), "utf8");
const declarations = read("pkg-template/index.d.ts");
const shell = read("crates/ssekit-wasm/js/ssekit.js");
const readmes = { "README.md": read("README.md"), "pkg-template/README.md": read("pkg-template/README.md") };
const pkgDir = resolve(process.env.SSEKIT_PKG ?? "pkg");
const ssekit = await import(pathToFileURL(`${pkgDir}/node.js`).href);

// The members of `interface <name> { … }` in the declarations: `key?:` or
// `readonly key:` at the start of a line.
function members(kind, name) {
  const start = declarations.indexOf(`${kind} ${name} `);
  assert.ok(start >= 0, `index.d.ts declares ${kind} ${name}`);
  const open = declarations.indexOf("{", start);
  let depth = 0;
  let end = open;
  for (; end < declarations.length; end++) {
    if (declarations[end] === "{") depth++;
    if (declarations[end] === "}" && --depth === 0) break;
  }
  const body = declarations.slice(open + 1, end);
  return [...body.matchAll(/^ {2}(?:readonly )?([A-Za-z]+)\??:/gm)].map((m) => m[1]);
}

function missingFrom(text, names, quote = "`") {
  return names.filter((name) => !text.includes(`${quote}${name}${quote}`) && !text.includes(`${name}:`));
}

test("every export of the package is declared in index.d.ts and named in both READMEs", () => {
  const exported = Object.keys(ssekit).sort();
  assert.ok(exported.length >= 10, `the package exports ${exported}`);
  const declared = [...declarations.matchAll(/^export declare (?:const|function|class) ([A-Za-z]+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(exported, declared, "exports and declarations");
  for (const [path, text] of Object.entries(readmes)) {
    assert.deepEqual(
      exported.filter((name) => !text.includes(name)),
      [],
      `${path} names every export`,
    );
  }
});

test("every EventSource and retry option declared is read by the shell and shown in both READMEs", () => {
  const options = members("interface", "SsekitEventSourceInit");
  const retry = members("interface", "RetryPolicyInit");
  assert.ok(options.includes("idleTimeoutMs") && retry.includes("maxAttempts"), `${options} ${retry}`);
  for (const name of options) {
    assert.ok(new RegExp(`init(\\.|\\[)"?${name}|\\(init, "${name}"|init\\[key\\]`).test(shell) || shell.includes(`"${name}"`), `js/ssekit.js reads ${name}`);
  }
  for (const name of retry) assert.ok(shell.includes(`"${name}"`) || shell.includes(`retry.${name}`), `js/ssekit.js reads retry.${name}`);
  for (const [path, text] of Object.entries(readmes)) {
    assert.deepEqual(missingFrom(text, [...options, ...retry]), [], `${path} shows every option`);
  }
});

test("every EventSourceError code declared is one the shell makes, and both READMEs list them", () => {
  const union = declarations.slice(declarations.indexOf("export type EventSourceErrorCode"));
  const codes = [...union.slice(0, union.indexOf("\n\n")).matchAll(/\| "([a-z-]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 8, `codes ${codes}`);
  // The second argument of every `this.#error(message, code, …)` call.
  const made = new Set([...shell.matchAll(/this\.#error\((?:[^()]|\([^()]*\))*?,\s*"([a-z-]+)"/g)].map((m) => m[1]));
  made.add(shell.match(/this\.code = options\?\.code \?\? "([a-z-]+)"/)[1]);
  assert.deepEqual(codes.filter((code) => !made.has(code)), [], "declared codes the shell never makes");
  assert.deepEqual([...made].filter((code) => !codes.includes(code)), [], "codes the shell makes that are not declared");
  for (const [path, text] of Object.entries(readmes)) {
    assert.deepEqual(missingFrom(text, codes), [], `${path} lists every code`);
  }
  // The fields an error carries, declared and set.
  for (const field of members("class", "EventSourceError")) {
    assert.ok(field === "cause" || shell.includes(`this.${field} =`), `EventSourceError sets ${field}`);
    for (const [path, text] of Object.entries(readmes)) assert.ok(text.includes(field), `${path} mentions ${field}`);
  }
});

test("every SseParser option declared is read by the shell and shown in both READMEs", () => {
  const options = members("interface", "SseParserOptions");
  for (const name of options) assert.ok(shell.includes(`"${name}"`), `js/ssekit.js reads ${name}`);
  for (const [path, text] of Object.entries(readmes)) {
    assert.deepEqual(missingFrom(text, options), [], `${path} shows every SseParser option`);
  }
});
