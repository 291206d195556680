import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_LIMITS, pointsOf, recordRotation, recordSample, seriesOf } from "../src/core/history.js";
import { judge } from "../src/core/judge.js";
import { type Judgement, emptyEdge } from "../src/core/state.js";

const NOW = 1_800_000_000;
const at = (secondsAgo: number, v: number): [number, number] => [NOW - secondsAgo, v];

describe("judge: first match wins", () => {
  const table: [string, [number, number][], Judgement][] = [
    ["last under goodenough", [at(600, 9), at(0, 0.49)], "pass_threshold"],
    ["last equal to goodenough is not pass_threshold", [at(0, 0.5)], "pass"],
    ["last failed", [at(60, 0.1), at(0, 10)], "fail"],
    ["slow now, fast over the last 300 s", [at(240, 0.1), at(120, 0.1), at(0, 0.8)], "pass_window"],
    ["samples older than 300 s are outside the window", [at(400, 0.1), at(350, 0.1), at(0, 0.8)], "pass_average"],
    ["slow now and in the window, fast overall", [at(3000, 0.1), at(2900, 0.1), at(2800, 0.1), at(2700, 0.1), at(60, 0.8), at(0, 0.8)], "pass_average"],
    ["slow everywhere", [at(60, 0.9), at(0, 0.8)], "pass"],
    ["never measured", [], "fail"],
  ];
  for (const [name, samples, expected] of table) {
    test(name, () => assert.equal(judge(seriesOf(samples), NOW, 0.5, 10).judgement, expected));
  }
  test("reports the figures it judged by", () => {
    const v = judge(seriesOf([at(120, 0.2), at(0, 0.4)]), NOW, 0.5, 10);
    assert.equal(v.last, 0.4);
    assert.ok(Math.abs(v.windowAverage! - 0.3) < 1e-9);
    assert.match(v.reason, /0\.400s < goodenough/);
  });
});

describe("history: bounded", () => {
  test("keeps the latest N samples", () => {
    let e = emptyEdge();
    for (let i = 0; i < 30; i++) e = recordSample(e, NOW + i * 60, i, { ...DEFAULT_LIMITS, samples: 10 });
    assert.equal(e.samples.t.length, 10);
    assert.deepEqual(pointsOf(e.samples)[0], [NOW + 20 * 60, 20]);
  });
  test("adds one hourly mean per clock hour, bounded", () => {
    let e = emptyEdge();
    const start = 1_800_000_000 - (1_800_000_000 % 3600);
    for (let i = 0; i < 60 * 5; i++) e = recordSample(e, start + i * 60, 1, { ...DEFAULT_LIMITS, hourly: 3 });
    assert.equal(e.hourly.t.length, 3);
    assert.deepEqual(e.hourly.t.map((t) => (t - start) / 3600), [2, 3, 4]);
    assert.ok(e.hourly.v.every((v) => v === 1));
  });
  test("rotations are bounded", () => {
    let e = emptyEdge();
    for (let i = 0; i < 150; i++) e = recordRotation(e, i, DEFAULT_LIMITS);
    assert.equal(e.rotations.length, DEFAULT_LIMITS.rotations);
    assert.equal(e.rotations[0], 50);
  });
});
