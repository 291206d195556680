import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { DEFAULT_LIMITS, pointsOf, recordSample, seriesOf } from "../src/core/history.js";
import { SCHEMA_VERSION, StateDecodeError, decodeState, decodeStateBytes, encodeRecordsAhead, encodeState, encodeStateBytes } from "../src/state/codec.js";
import { fromClassic } from "../src/state/classic.js";
import { type EdgeRecord, type NetworkState, emptyEdge, emptyState } from "../src/core/state.js";

/** A network at steady state: every edge with a full history of minute samples of realistic spread. */
export function steadyState(edges: number, samples = DEFAULT_LIMITS.samples): NetworkState {
  const state = emptyState("net");
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const t0 = 1_790_000_000;
  for (let e = 0; e < edges; e++) {
    let rec: EdgeRecord = { ...emptyEdge(), health: "pass_threshold" };
    const base = 0.05 + rand() * 0.5;
    for (let i = 0; i < samples; i++) {
      const v = rand() < 0.02 ? 10 : Math.round((base + rand() * 0.3) * 1000) / 1000;
      rec = recordSample(rec, t0 + i * 60 + (rand() < 0.1 ? 1 : 0), v, DEFAULT_LIMITS);
    }
    // 30 days of hourly means, as a long-running network has.
    const hourly = Array.from({ length: DEFAULT_LIMITS.hourly }, (_, h) => [t0 - (DEFAULT_LIMITS.hourly - h) * 3600, Math.round((base + rand() * 0.1) * 1000) / 1000] as [number, number]);
    state.edges[`edge${e}.example.net`] = { ...rec, hourly: seriesOf(hourly), rotations: [t0, t0 + 3600] };
  }
  state.lastLive = ["edge0.example.net", "edge1.example.net"];
  state.zones = { "example.com": { hash: "ab".repeat(32), serial: t0, canary: null } };
  return state;
}

describe("state codec", () => {
  test("round-trips a full state exactly", () => {
    const s = steadyState(3, 50);
    assert.deepEqual(decodeState(encodeState(s)), s);
    assert.deepEqual(decodeStateBytes(encodeStateBytes(s)), s);
  });
  test("is versioned", () => {
    assert.equal((JSON.parse(encodeState(emptyState("n"))) as { schema: number }).schema, SCHEMA_VERSION);
  });
  test("compact: well under 10 KB per edge at steady state (2000 samples per edge)", () => {
    const bytes = encodeStateBytes(steadyState(20)).length / 20;
    console.log(`# state object: ${bytes.toFixed(0)} bytes per edge (gzip, 2000 samples + ${DEFAULT_LIMITS.hourly} hourly means)`);
    assert.ok(bytes < 5000, `${bytes} bytes per edge`);
  });
  test("a newer schema is refused as such; garbage and truncation as corrupt", () => {
    assert.throws(() => decodeState(JSON.stringify({ schema: SCHEMA_VERSION + 1 })), (e: unknown) => e instanceof StateDecodeError && e.kind === "newer");
    assert.throws(() => decodeState("{]"), (e: unknown) => e instanceof StateDecodeError && e.kind === "corrupt");
    assert.throws(() => decodeState(JSON.stringify({ schema: 1, dnet: 3 })), (e: unknown) => e instanceof StateDecodeError && e.kind === "corrupt");
    const gz = encodeStateBytes(steadyState(1, 10));
    assert.throws(() => decodeStateBytes(gz.subarray(0, gz.length - 8)), (e: unknown) => e instanceof StateDecodeError && e.kind === "corrupt");
    assert.throws(() => decodeStateBytes(gzipSync("[1,2")), (e: unknown) => e instanceof StateDecodeError && e.kind === "corrupt");
  });
  test("records encoded ahead: the same bytes, for the state itself and for one made from it with other zone records", () => {
    const s = steadyState(4, 30);
    s.canaries["192.0.2.9"] = { ...emptyEdge(), health: "fail" };
    const expected = encodeState(s);
    const withZones: NetworkState = { ...s, zones: { ...s.zones, "example.org": { hash: "cd".repeat(32), serial: 7, canary: "192.0.2.9" } } };
    const expectedWithZones = encodeState(withZones);
    encodeRecordsAhead(s);
    assert.equal(encodeState(s), expected);
    assert.equal(encodeState(withZones), expectedWithZones);
    assert.deepEqual(decodeState(encodeState(withZones)), withZones);
    // A state with other records is a new object: encoded from its own records, not the ones encoded ahead.
    const changed: NetworkState = { ...s, edges: { ...s.edges, "edge0.example.net": { ...s.edges["edge0.example.net"]!, health: "fail" } } };
    assert.equal(decodeState(encodeState(changed)).edges["edge0.example.net"]!.health, "fail");
  });
  test("plain JSON is accepted too (a hand-uploaded local state file)", () => {
    const s = steadyState(1, 5);
    assert.deepEqual(decodeStateBytes(Buffer.from(encodeState(s))), s);
  });
});

describe("classic edgemanage files", () => {
  test("every sample, mode, comment and rotation is kept; classic 'pass' is pass_threshold", () => {
    const fetch = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [String(1_600_000_000 + i * 60.5), i / 10000]));
    fetch["1700000000.123456"] = 0.1234567;
    const s = fromClassic(
      "n",
      { last_run: 5, last_live: ["e1"], rotation_list: [1, 2], verification_failues: ["e2"], zone_mtimes: {} },
      new Map<string, unknown>([
        ["e1", { fetch_times: fetch, historical_average: { "1600000000": 0.2 }, rotation_history: [3, 1], state: "in", mode: "force", health: "pass", state_entry_time: 4, comment: "hi" }],
        ["10.0.0.9", { fetch_times: { "1": 0.5 } }],
      ]),
      new Set(["10.0.0.9"]),
    );
    const e1 = s.edges.e1!;
    assert.equal(e1.samples.t.length, 2501);
    assert.deepEqual(pointsOf(e1.samples).at(-1), [1_700_000_000.123, 0.123], "kept at millisecond resolution");
    assert.deepEqual(pointsOf(e1.samples)[1], [1_600_000_060.5, 0]);
    assert.deepEqual([e1.mode, e1.health, e1.state, e1.changed, e1.comment], ["force", "pass_threshold", "in", 4, "hi"]);
    assert.deepEqual(e1.rotations, [1, 3]);
    assert.deepEqual(Object.keys(s.canaries), ["10.0.0.9"]);
    assert.deepEqual([s.lastRun, s.lastLive, s.rotations, s.verificationFailures], [5, ["e1"], [1, 2], ["e2"]]);
    // And the migrated state survives the codec (samples with sub-second timestamps included).
    assert.deepEqual(decodeStateBytes(encodeStateBytes(s)), s);
  });
});
