// The generator of src/api.gen.ts: the JSON Schema shapes the server's OpenAPI document uses, as TypeScript.

import assert from "node:assert/strict";
import { test } from "node:test";
import { generate, typeOf } from "../scripts/gen-api-types.mjs";

test("scalars, arrays, maps, enums and references", () => {
  assert.equal(typeOf({ type: "integer", format: "int64" }), "number");
  assert.equal(typeOf({ type: ["string", "null"] }), "string | null");
  assert.equal(typeOf({ type: "array", items: { $ref: "#/components/schemas/UserDto" } }), "UserDto[]");
  assert.equal(typeOf({ type: "array", items: { type: ["string", "null"] } }), "(string | null)[]");
  assert.equal(typeOf({ type: "object", additionalProperties: { type: "integer" } }), "Record<string, number>");
  assert.equal(typeOf({ type: "object" }), "Record<string, unknown>");
  assert.equal(typeOf({ type: "string", enum: ["a", "b"] }), '"a" | "b"');
  assert.equal(typeOf({ type: "string", enum: ["menu-too-long", "x y"] }), '"menu-too-long" | "x y"');
  assert.equal(typeOf({ oneOf: [{ $ref: "#/components/schemas/X" }, { type: "null" }] }), "X | null");
  assert.equal(typeOf({ allOf: [{ $ref: "#/components/schemas/X" }], description: "d" }), "X");
  assert.throws(() => typeOf({ type: "tuple" }), /unsupported/);
});

test("a nullable field is present in answers and may be left out of requests", () => {
  const doc = {
    components: {
      schemas: {
        Thing: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string" }, note: { type: ["string", "null"] }, tags: { type: "array", items: { type: "string" } } },
        },
        ThingRequest: { type: "object", properties: { note: { type: ["string", "null"] } } },
        Colour: { type: "string", enum: ["red", "green"] },
      },
    },
    paths: {
      "/api/v1/things": {
        get: { summary: "The things.", responses: { 200: { content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } } } },
        post: {
          requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/ThingRequest" } } } },
          responses: { 204: { description: "done" } },
        },
      },
    },
  };
  const out = generate(doc);
  assert.match(out, /export interface Thing \{\n {2}id: string;\n {2}note: string \| null;\n {2}tags\?: string\[\];\n\}/);
  assert.match(out, /export interface ThingRequest \{\n {2}note\?: string \| null;\n\}/);
  assert.match(out, /export type Colour = "red" \| "green";\nexport const ColourValues = \["red","green"\] as const;/);
  assert.match(out, /"GET \/api\/v1\/things": \{ response: Thing; \};/);
  assert.match(out, /"POST \/api\/v1\/things": \{ response: void; body: ThingRequest; \};/);
});

test("a tagged union of objects is a type alias, not an interface", () => {
  const doc = {
    components: {
      schemas: {
        Input: {
          oneOf: [
            { type: "object", required: ["kind", "text"], properties: { kind: { type: "string", enum: ["text"] }, text: { type: "string" } } },
            { type: "object", required: ["kind"], properties: { kind: { type: "string", enum: ["silence"] } } },
          ],
        },
      },
    },
    paths: {},
  };
  const out = generate(doc);
  assert.match(out, /export type Input = \{\n/);
  assert.doesNotMatch(out, /export interface Input/);
});
