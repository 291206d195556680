import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { z } from "zod";
import { parseConfig } from "../src/config/load.js";
import { ConfigSchema } from "../src/config/schema.js";
import { ROOT } from "./support/tools.js";

/** Every key of the configuration, `section.key` for the sections. */
function configKeys(): string[] {
  const unwrap = (s: z.ZodType): z.ZodType => {
    let x = s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType> } } };
    for (let i = 0; i < 10; i++) {
      const d = x._zod.def;
      const next = d.innerType ?? (d.type === "pipe" ? d.in : undefined);
      if (!next) break;
      x = next as unknown as typeof x;
    }
    return x as unknown as z.ZodType;
  };
  return Object.entries(ConfigSchema.shape).flatMap(([k, v]) => {
    const shape = (unwrap(v) as unknown as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape;
    return shape ? Object.keys(shape).map((k2) => `${k}.${k2}`) : [k];
  });
}

describe("the documentation names every setting", () => {
  const keys = configKeys();
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const example = readFileSync(join(ROOT, "edgemanage.example.yaml"), "utf8");

  test("every key of the configuration schema is in the README's Configuration table", () => {
    assert.ok(keys.length > 60, `${keys.length} keys`);
    const from = readme.indexOf("\n## Configuration\n");
    const table = readme.slice(from, readme.indexOf("\n## ", from + 1));
    assert.deepEqual(keys.filter((k) => !table.includes(`\`${k}\``) && !table.includes(`\`${k}\` (new)`)), []);
  });

  test("every key is in edgemanage.example.yaml (the optional sections as comments), and the example is a valid configuration", () => {
    const missing = keys.filter((k) => {
      const [section, key] = k.includes(".") ? k.split(".") : [null, k];
      const at = section ? example.search(new RegExp(`^#?\\s*${section}:`, "m")) : 0;
      return at < 0 || !new RegExp(`^\\s*#?\\s*${key}:`, "m").test(example.slice(at));
    });
    assert.deepEqual(missing, []);
    assert.ok(parseConfig(example, "edgemanage.example.yaml").config);
  });
});
