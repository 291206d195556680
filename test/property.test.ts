import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import yaml from "js-yaml";
import { parseEdgeLists } from "../src/config/inputs.js";
import { loadSettings } from "../src/config/load.js";
import { emptyEdge, emptyState } from "../src/core/state.js";
import { StateDecodeError, decodeState, decodeStateBytes, encodeState } from "../src/state/codec.js";
import { OperatorError } from "../src/util/errors.js";
import { ROOT, runCli } from "./support/tools.js";

/**
 * Random documents thrown at every door an operator's input comes through. Whatever comes in, the
 * answer is a value or an error an operator can act on: never another exception, never a stack.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const dir = mkdtempSync(join(tmpdir(), "em-prop-"));
const base = yaml.load(readFileSync(join(ROOT, "edgemanage.example.yaml"), "utf8")) as Record<string, unknown>;

/** A path into an object (keys it has, or a new one) and a value to put there, or undefined to delete. */
const mutation = fc.tuple(fc.array(fc.oneof(fc.constantFrom(...Object.keys(base), "testobject", "dns", "state", "metrics", "guard", "vantage", "probe"), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 3 }), fc.option(fc.anything({ maxDepth: 2 }), { nil: undefined }));

function mutate(doc: Record<string, unknown>, [path, value]: [string[], unknown]): Record<string, unknown> {
  const copy = structuredClone(doc);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at = typeof next === "object" && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : (at[key] = {});
  }
  const last = path.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

/** An error fit for an operator: our own type, one line, naming the file. */
function assertOperatorError(err: unknown, file: string): void {
  assert.ok(err instanceof OperatorError, `not an OperatorError: ${(err as Error)?.stack ?? String(err)}`);
  assert.equal(err.exitCode, 2);
  assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
  assert.ok(err.message.includes(file), `names the file: ${err.message}`);
}

describe(`property: random inputs get a value or an operator's error (${RUNS} runs each)`, () => {
  test("configuration documents: valid ones with random changes, and random YAML text", () => {
    const file = join(dir, "edgemanage.yaml");
    const check = (text: string) => {
      writeFileSync(file, text);
      try {
        loadSettings(file, "net");
      } catch (err) {
        assertOperatorError(err, file);
      }
    };
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => check(yaml.dump(ms.reduce(mutate, base), { skipInvalid: true }))), { numRuns: RUNS });
    fc.assert(fc.property(fc.string({ maxLength: 400 }), check), { numRuns: RUNS });
  });

  test("edge lists", () => {
    const line = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.string({ maxLength: 40 }), fc.constantFrom("0.0.0.0", "::", "fe80::1%eth0", "0x7f.0.0.1", "# comment", ""));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        try {
          const r = parseEdgeLists([{ file: "edges/net", text: lines.join("\n") }]);
          assert.equal(new Set(r.edges).size, r.edges.length, "each edge once");
        } catch (err) {
          assertOperatorError(err, "edges/net");
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("state documents: valid ones with random changes, random JSON and random bytes", () => {
    const good = JSON.parse(encodeState({ ...emptyState("net"), lastRun: 1_800_000_000, edges: { "192.0.2.1": { ...emptyEdge(), samples: { t: [1_800_000_000], v: [0.1] } } } })) as Record<string, unknown>;
    const decodes = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof StateDecodeError, `not a StateDecodeError: ${(err as Error)?.stack ?? String(err)}`);
        assert.ok(!err.message.includes("\n"), err.message);
      }
    };
    const statePath = fc.tuple(fc.array(fc.oneof(fc.constantFrom(...Object.keys(good), "192.0.2.1", "samples", "t0", "dt", "v", "mode"), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 4 }), fc.option(fc.anything({ maxDepth: 2 }), { nil: undefined }));
    fc.assert(fc.property(fc.array(statePath, { minLength: 1, maxLength: 3 }), (ms) => decodes(() => decodeState(JSON.stringify(ms.reduce(mutate, good))))), { numRuns: RUNS });
    fc.assert(fc.property(fc.jsonValue(), (v) => decodes(() => decodeState(JSON.stringify(v)))), { numRuns: RUNS });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => decodes(() => decodeStateBytes(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(b)])))), { numRuns: RUNS });
  });

  test("the command line with random configurations: exit 0, 1 or 2, one line on stderr, never a stack trace", { timeout: 120_000 }, async () => {
    // A dozen processes: the parsing itself is covered above by the hundreds of in-process runs; this
    // checks what the command line adds (one line on stderr naming the file or key, the exit code).
    const samples = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), { numRuns: 12, seed: 42 });
    for (const [i, ms] of samples.entries()) {
      const file = join(dir, `cli-${i}.yaml`);
      writeFileSync(file, yaml.dump(ms.reduce(mutate, base), { skipInvalid: true }));
      const r = await runCli(["query", "-A", "net", "-c", file]);
      assert.ok([0, 1, 2].includes(r.code!), `exit ${r.code}: ${r.stderr}`);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("edgemanage:"));
      assert.ok(errors.length <= 1, r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
      if (r.code !== 0) assert.match(errors[0] ?? "", /edgemanage: \S*(\/|\.yaml|-A|--)/, `names a file or a key: ${r.stderr}`);
    }
  });
});
