// Parse an AsyncAPI document with the AsyncAPI project's parser; print every diagnostic as a
// JSON line and exit 1 when any is an error (severity 0).
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const [, , path] = process.argv;
if (!path) {
  console.error("usage: node validate.mjs <asyncapi.json>");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"));
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length > 0) {
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, version: document.version(), channels: document.channels().length, messages: document.allMessages().length }));
