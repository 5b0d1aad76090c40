/**
 * JSON Schema documents generated from the zod schemas (draft 2020-12). They are committed under
 * `packages/contract/schema/` for operators and external tools, and compiled with ajv to validate
 * operator-edited files. A test regenerates them and fails on any difference.
 */
import { z } from "zod";
import { AlertSinksCatalogSchema, ThresholdProfilesCatalogSchema } from "./catalogs.js";
import { LoopRunEventSchema, LoopRunSnapshotSchema } from "./envelopes.js";
import { FleetRegistrySchema } from "./fleet-registry.js";

export type JsonSchemaDocument = Record<string, unknown>;

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
const SCHEMA_ID_BASE = "https://ops-manager.local/schema/";

function fromZod(schema: z.ZodType, io: "input" | "output" = "output"): JsonSchemaDocument {
  const generated = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "throw" });
  const { $schema: _ignored, ...rest } = generated as JsonSchemaDocument;
  return rest;
}

function document(fileName: string, title: string, body: JsonSchemaDocument): JsonSchemaDocument {
  return { $schema: DRAFT_2020_12, $id: `${SCHEMA_ID_BASE}${fileName}`, title, ...body };
}

/**
 * Spec 20 §6: `rollout.scope.loopIds` entries are unique; zod cannot say so, so the generated
 * schema gets `uniqueItems` added at that one place.
 */
function fleetRegistryJsonSchema(): JsonSchemaDocument {
  const body = fromZod(FleetRegistrySchema, "input");
  const at = (node: unknown, ...keys: string[]): Record<string, unknown> | undefined => {
    let current = node;
    for (const key of keys) {
      if (typeof current !== "object" || current === null) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
    return typeof current === "object" && current !== null ? (current as Record<string, unknown>) : undefined;
  };
  const loopIds = at(
    body,
    "properties",
    "policy",
    "properties",
    "autonomous",
    "properties",
    "rollout",
    "properties",
    "scope",
    "properties",
    "loopIds",
  );
  if (loopIds !== undefined) loopIds["uniqueItems"] = true;
  return body;
}

/** Every published schema file, by file name. */
export const JSON_SCHEMA_FILES = {
  "ops-manager.contract.schema.json": () =>
    document("ops-manager.contract.schema.json", "ops-manager contract envelope (v1)", {
      // Spec 11 §1: the contract schema is a oneOf of the two envelopes.
      oneOf: [fromZod(LoopRunSnapshotSchema), fromZod(LoopRunEventSchema)],
    }),
  "ops-manager-threshold-profiles.config.schema.json": () =>
    document(
      "ops-manager-threshold-profiles.config.schema.json",
      "ops-manager threshold profile catalog (v1)",
      fromZod(ThresholdProfilesCatalogSchema, "input"),
    ),
  "ops-manager-alert-sinks.config.schema.json": () =>
    document(
      "ops-manager-alert-sinks.config.schema.json",
      "ops-manager alert sink catalog (v1)",
      fromZod(AlertSinksCatalogSchema, "input"),
    ),
  "ops-manager-fleet-registry.schema.json": () =>
    document(
      "ops-manager-fleet-registry.schema.json",
      "ops-manager fleet registry (v1)",
      fleetRegistryJsonSchema(),
    ),
} as const satisfies Record<string, () => JsonSchemaDocument>;

export type JsonSchemaFileName = keyof typeof JSON_SCHEMA_FILES;

export function jsonSchemaFor(fileName: JsonSchemaFileName): JsonSchemaDocument {
  return JSON_SCHEMA_FILES[fileName]();
}

/** Canonical text of a schema file as committed (2-space JSON + newline). */
export function jsonSchemaText(fileName: JsonSchemaFileName): string {
  return `${JSON.stringify(jsonSchemaFor(fileName), null, 2)}\n`;
}
