// Validates answers the server gave (samples.json: [{"schema": "Movie", "value": …}, …]) against
// the live schema's components with Ajv 8, default options (strict mode) plus ajv-formats. The
// schema is OpenAPI 3.0: its two keywords that are not JSON Schema are translated first
// ("nullable": true → a type that also admits null; "example" → JSON Schema's "examples").
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";

function jsonSchema(node) {
  if (Array.isArray(node)) return node.map(jsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "nullable" || key === "example") continue;
    if (key === "$ref") out.$ref = value.replace("#/components/schemas/", "#/$defs/");
    else out[key] = jsonSchema(value);
  }
  if (node.example !== undefined) out.examples = [node.example];
  if (node.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (out.$ref !== undefined || out.oneOf !== undefined || out.allOf !== undefined)
      return { anyOf: [out, { type: "null" }] };
    if (out.enum !== undefined && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

const openapi = JSON.parse(readFileSync("schema.json", "utf8"));
const ajv = new Ajv();
addFormats(ajv);
ajv.addSchema({ $id: "api", $defs: jsonSchema(openapi.components.schemas) });
const samples = JSON.parse(readFileSync("samples.json", "utf8"));
const failures = [];
for (const { schema, value } of samples) {
  const validate = ajv.getSchema(`api#/$defs/${schema}`);
  if (!validate(value)) failures.push({ schema, value, errors: validate.errors });
}
console.log(JSON.stringify({ checked: samples.length, failures }));
process.exitCode = failures.length ? 1 : 0;
