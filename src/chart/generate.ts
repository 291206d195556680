import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { valuesJsonSchema } from "./values-schema.js";

/** `npm run gen:chart`: writes helm/edgemanage/values.schema.json from the zod schemas. */
export const SCHEMA_FILE = fileURLToPath(new URL("../../../helm/edgemanage/values.schema.json", import.meta.url));

export const schemaText = (): string => `${JSON.stringify(valuesJsonSchema(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
