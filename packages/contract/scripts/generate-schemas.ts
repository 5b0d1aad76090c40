// Writes the JSON Schema files generated from the zod schemas into packages/contract/schema/.
// Run after changing a schema: `pnpm --filter @ops/contract generate:schemas`.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { JSON_SCHEMA_FILES, type JsonSchemaFileName, jsonSchemaText } from "../src/schemas/json-schema.js";

const schemaDir = fileURLToPath(new URL("../schema/", import.meta.url));
for (const fileName of Object.keys(JSON_SCHEMA_FILES) as JsonSchemaFileName[]) {
  writeFileSync(`${schemaDir}${fileName}`, jsonSchemaText(fileName));
  process.stdout.write(`wrote schema/${fileName}\n`);
}
