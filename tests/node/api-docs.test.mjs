// The package's JavaScript API has one reference, the TypeScript declarations
// (pkg-template/index.d.ts), and one guide, the package README
// (pkg-template/README.md, what npm shows); the project README keeps a short
// tour and links to the guide. These tests fail when the package exports a
// name the declarations do not declare, when an option, error field or error
// code they declare is not what the shell reads or makes, when the guide
// leaves one out, when the tour leaves out an export or the link, or when an
// example in either README does not type-check against the declarations.
//
//   SSEKIT_PKG=pkg node --test tests/node/api-docs.test.mjs
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import ts from "typescript";

const root = resolve(import.meta.dirname, "../..");
const read = (path) => readFileSync(resolve(root, path), "utf8");
const declarations = read("pkg-template/index.d.ts");
const shell = read("crates/ssekit-wasm/js/ssekit.js");
const readmes = { "README.md": read("README.md"), "pkg-template/README.md": read("pkg-template/README.md") };
const guide = { "pkg-template/README.md": readmes["pkg-template/README.md"] };
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

test("every export of the package is declared in index.d.ts and named in both READMEs; the tour links to the guide", () => {
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
  assert.ok(readmes["README.md"].includes("](pkg-template/README.md)"), "README.md links to the package's README");
});

test("every EventSource and retry option declared is read by the shell and shown in the guide", () => {
  const options = members("interface", "SsekitEventSourceInit");
  const retry = members("interface", "RetryPolicyInit");
  assert.ok(options.includes("idleTimeoutMs") && retry.includes("maxAttempts"), `${options} ${retry}`);
  for (const name of options) {
    // By name: `init.x`, `init["x"]`, `(init, "x")`, or "x" given to a reader
    // such as fn("fetch"). Not the reader's `init[key]`: it is in the shell
    // whatever the name, and would pass any.
    assert.ok(new RegExp(`init(\\.|\\[)"?${name}|\\(init, "${name}"`).test(shell) || shell.includes(`"${name}"`), `js/ssekit.js reads ${name}`);
  }
  for (const name of retry) assert.ok(shell.includes(`"${name}"`) || shell.includes(`retry.${name}`), `js/ssekit.js reads retry.${name}`);
  for (const [path, text] of Object.entries(guide)) {
    assert.deepEqual(missingFrom(text, [...options, ...retry]), [], `${path} shows every option`);
  }
});

test("every EventSourceError code declared is one the shell makes, and the guide lists them", () => {
  const union = declarations.slice(declarations.indexOf("export type EventSourceErrorCode"));
  const codes = [...union.slice(0, union.indexOf("\n\n")).matchAll(/\| "([a-z-]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 8, `codes ${codes}`);
  // The first argument of every `this.#error("code" or "code/variant", …)` call.
  const made = new Set([...shell.matchAll(/this\.#error\("([a-z-]+)(?:\/[a-z-]+)?"/g)].map((m) => m[1]));
  made.add(shell.match(/this\.code = options\?\.code \?\? "([a-z-]+)"/)[1]);
  assert.deepEqual(codes.filter((code) => !made.has(code)), [], "declared codes the shell never makes");
  assert.deepEqual([...made].filter((code) => !codes.includes(code)), [], "codes the shell makes that are not declared");
  for (const [path, text] of Object.entries(guide)) {
    assert.deepEqual(missingFrom(text, codes), [], `${path} lists every code`);
  }
  // The fields an error carries, declared and set.
  for (const field of members("class", "EventSourceError")) {
    assert.ok(field === "cause" || shell.includes(`this.${field} =`), `EventSourceError sets ${field}`);
    for (const [path, text] of Object.entries(guide)) assert.ok(text.includes(field), `${path} mentions ${field}`);
  }
});

test("every SseParser option declared is read by the shell and shown in the guide", () => {
  const options = members("interface", "SseParserOptions");
  for (const name of options) assert.ok(shell.includes(`"${name}"`), `js/ssekit.js reads ${name}`);
  for (const [path, text] of Object.entries(guide)) {
    assert.deepEqual(missingFrom(text, options), [], `${path} shows every SseParser option`);
  }
});

// What the examples use without defining: the application around them.
const context = `
declare const token: string;
declare const controller: AbortController;
declare const signal: AbortSignal;
declare const url: string;
declare const output: { append(text: string): void; done(): void };
declare function myFetch(input: string, init: RequestInit): Promise<Response>;
declare function freshToken(): Promise<string>;
declare function getToken(): string;
declare function render(message: unknown): void;
declare function append(text: string): void;
declare function done(): void;
declare function login(): void;
declare let lastHeartbeat: number;
declare const refreshButton: HTMLButtonElement;
`;

test("every JavaScript example in both READMEs type-checks against the declarations", () => {
  // Each ```js block that imports from "ssekit" (or a package it compares
  // with) is a module of its own, compiled strictly with "ssekit" resolved
  // to pkg-template/index.d.ts.
  const files = new Map([[resolve(root, "target/readme-examples/context.d.ts"), context]]);
  const origin = new Map();
  for (const [path, text] of Object.entries(readmes)) {
    for (const match of text.matchAll(/^```js\n([\s\S]*?)^```$/gm)) {
      if (!/from "(ssekit|eventsource|@microsoft\/fetch-event-source)"/.test(match[1])) continue;
      const line = text.slice(0, match.index).split("\n").length + 1;
      const file = resolve(root, `target/readme-examples/${path.replaceAll("/", "_")}-${line}.ts`);
      files.set(file, match[1]);
      origin.set(file, `${path}:${line}`);
    }
  }
  assert.ok(origin.size >= 10, `examples found: ${[...origin.values()]}`);
  const options = {
    // Strict, but for null checks: the examples are JavaScript and leave out
    // what a `response.body` of null would need; names, options and the
    // shapes of values are what is checked.
    strict: true,
    strictNullChecks: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.esnext.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.dom.asynciterable.d.ts"],
    types: [],
    baseUrl: root,
    paths: { ssekit: ["pkg-template/index.d.ts"] },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    files.has(name) ? ts.createSourceFile(name, files.get(name), language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], options, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const [path, first] = (origin.get(d.file.fileName) ?? d.file.fileName).split(":");
    return `${path}:${Number(first ?? 1) + line}: ${message}`;
  });
  assert.deepEqual(problems, [], "the examples type-check");
});
