// Generates src/api.gen.ts, the TypeScript types of the HTTP API, from the server's OpenAPI document, so the web UI
// never keeps hand-written copies of what the server sends.
//
//   hotline openapi | node scripts/gen-api-types.mjs -            # write src/api.gen.ts
//   hotline openapi | node scripts/gen-api-types.mjs --check -    # compare, exit 1 when it differs
//
// `npm run gen:api` does the first through `cargo run`; scripts/test runs the second, so a server change that is not
// regenerated fails the suite. A small generator of our own: openapi-typescript wants TypeScript 5, the UI is
// on 7 (../shared/DEPENDENCIES.md), and the document uses a small part of JSON Schema: objects, arrays, maps,
// string enums, nullable types, oneOf/allOf and $ref.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "api.gen.ts");

/**
 * A schema as a TypeScript type expression. In `answers` mode (schemas the server sends) a property that may be null
 * is always present: serde writes `None` as `null`, while OpenAPI calls an `Option` field not required. Only in
 * request bodies may such a field be left out.
 */
export function typeOf(schema, indent = "", answers = true) {
  if (schema === true || schema === undefined || schema === null) return "unknown";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.oneOf || schema.anyOf) return union((schema.oneOf ?? schema.anyOf).map((s) => typeOf(s, indent, answers)));
  if (schema.allOf) {
    const parts = schema.allOf.map((s) => typeOf(s, indent, answers));
    return parts.length === 1 ? parts[0] : parts.map((p) => paren(p)).join(" & ");
  }
  if (schema.enum) return union(schema.enum.map((v) => JSON.stringify(v)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? objectType(schema, indent, answers) : "unknown";
  return union(types.map((t) => single(t, schema, indent, answers)));
}

function single(type, schema, indent, answers) {
  switch (type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `${paren(typeOf(schema.items, indent, answers))}[]`;
    case "object":
      return objectType(schema, indent, answers);
    default:
      throw new Error(`unsupported schema type ${JSON.stringify(type)}`);
  }
}

function objectType(schema, indent, answers) {
  const props = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  if (props.length === 0) {
    if (extra && extra !== true) {
      const key = schema.propertyNames ? typeOf(schema.propertyNames, indent, answers) : "string";
      return `Record<${key}, ${typeOf(extra, indent, answers)}>`;
    }
    return "Record<string, unknown>";
  }
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const lines = props.map(([name, prop]) => {
    const doc = prop.description ? `${inner}/** ${oneLine(prop.description)} */\n` : "";
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
    const type = typeOf(prop, inner, answers);
    const present = required.has(name) || (answers && nullable(prop));
    return `${doc}${inner}${key}${present ? "" : "?"}: ${type};`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

function nullable(schema) {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes("null") || (schema.oneOf ?? schema.anyOf ?? []).some((s) => s.type === "null");
}

/** The names of the schemas a request body uses, directly or through others. */
function requestSchemas(doc) {
  const names = new Set();
  const visit = (schema) => {
    if (!schema || typeof schema !== "object") return;
    if (schema.$ref) {
      const name = refName(schema.$ref);
      if (names.has(name)) return;
      names.add(name);
      visit(doc.components.schemas[name]);
      return;
    }
    for (const value of Object.values(schema)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === "object") visit(value);
    }
  };
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) visit(op.requestBody?.content?.["application/json"]?.schema);
  }
  return names;
}

function union(parts) {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? unique[0] : unique.map(paren).join(" | ");
}

/** Parentheses around a union or intersection used inside another type. */
function paren(t) {
  const literal = /^"(?:[^"\\]|\\.)*"$/.test(t);
  return literal || /^[\w."[\]<>, ]+$/.test(t) || t.startsWith("{") || t.startsWith("Record<") ? t : `(${t})`;
}

function refName(ref) {
  const name = ref.split("/").pop();
  if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`unsupported $ref ${ref}`);
  return name;
}

function oneLine(text) {
  return text.replace(/\s+/g, " ").replace(/\*\//g, "* /").trim();
}

/** The schema of a request body or 2xx response, as a type; `undefined` when there is none. */
function bodyType(content, answers) {
  const json = content?.["application/json"];
  return json ? typeOf(json.schema, "", answers) : undefined;
}

export function generate(doc) {
  const out = [
    "// Generated by web/scripts/gen-api-types.mjs from the server's OpenAPI document (`hotline openapi`).",
    "// Do not edit: change the server's types, then run `npm run gen:api`.",
    "/* eslint-disable */",
    "",
  ];
  const schemas = doc.components?.schemas ?? {};
  const requests = requestSchemas(doc);
  for (const name of Object.keys(schemas).sort()) {
    const schema = schemas[name];
    if (schema.description) out.push(`/** ${oneLine(schema.description)} */`);
    const type = typeOf(schema, "", !requests.has(name));
    const plainObject = type.startsWith("{\n") && !schema.oneOf && !schema.anyOf;
    out.push(plainObject ? `export interface ${name} ${type}` : `export type ${name} = ${type};`);
    // A string enum's values at run time too (for pickers and checks), in the server's order.
    if (schema.enum) out.push(`export const ${name}Values = ${JSON.stringify(schema.enum)} as const;`);
    out.push("");
  }
  // Every operation: its request body and its successful response, keyed "METHOD /path".
  out.push("/** Every route: what it takes and what it answers on success, keyed by method and path. */");
  out.push("export interface Routes {");
  for (const path of Object.keys(doc.paths).sort()) {
    for (const [method, op] of Object.entries(doc.paths[path])) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const ok = Object.entries(op.responses ?? {}).find(([status]) => status.startsWith("2"));
      const response = ok ? (bodyType(ok[1].content, true) ?? "void") : "void";
      const body = bodyType(op.requestBody?.content, false);
      const query = (op.parameters ?? []).filter((p) => p.in === "query");
      const fields = [`response: ${response};`];
      if (body) fields.push(`body: ${body};`);
      if (query.length) {
        const q = query.map((p) => `${p.name}${p.required ? "" : "?"}: ${typeOf(p.schema, "", false)}`).join("; ");
        fields.push(`query: { ${q} };`);
      }
      if (op.summary) out.push(`  /** ${oneLine(op.summary)} */`);
      out.push(`  "${method.toUpperCase()} ${path}": { ${fields.join(" ")} };`);
    }
  }
  out.push("}", "");
  return out.join("\n");
}

function main(argv) {
  const check = argv[0] === "--check";
  const file = check ? argv[1] : argv[0];
  if (!file) {
    console.error("usage: gen-api-types.mjs [--check] OPENAPI.json|-");
    process.exit(2);
  }
  const text = generate(JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8")));
  if (!check) {
    writeFileSync(OUT, text);
    return;
  }
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // a missing file differs
  }
  if (current !== text) {
    console.error("web/src/api.gen.ts is not what the server's OpenAPI document gives: run `npm run gen:api` in web/.");
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
