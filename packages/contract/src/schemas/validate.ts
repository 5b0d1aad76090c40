/**
 * ajv validation against the generated JSON Schemas. Used for operator-edited files: it reports
 * every problem of a document in one pass, each as `<json pointer> <message>`.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { type JsonSchemaFileName, jsonSchemaFor } from "./json-schema.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type SchemaValidationResult = { ok: true } | { ok: false; errors: string[] };

let ajv: Ajv2020 | undefined;
const compiled = new Map<JsonSchemaFileName, ValidateFunction>();

function validatorFor(fileName: JsonSchemaFileName): ValidateFunction {
  let validate = compiled.get(fileName);
  if (!validate) {
    ajv ??= addFormats(new Ajv2020({ allErrors: true, strict: true }));
    validate = ajv.compile(jsonSchemaFor(fileName));
    compiled.set(fileName, validate);
  }
  return validate;
}

export function validateAgainstSchema(fileName: JsonSchemaFileName, value: unknown): SchemaValidationResult {
  const validate = validatorFor(fileName);
  if (validate(value)) return { ok: true };
  const errors = (validate.errors ?? []).map((error) => {
    const where = error.instancePath === "" ? "(root)" : error.instancePath;
    const extra =
      error.keyword === "additionalProperties"
        ? `: ${String((error.params as { additionalProperty?: unknown }).additionalProperty)}`
        : "";
    return `${where} ${error.message ?? "is invalid"}${extra}`;
  });
  return { ok: false, errors: [...new Set(errors)] };
}
