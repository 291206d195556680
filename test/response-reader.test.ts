import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_HEAD_BYTES, type Response, ResponseReader } from "../src/probe/response-reader.js";

const BODY = "edgemanage test object\n".repeat(8);
const head = (...lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;
const chunked = (parts: string[], trailer = "") => `${parts.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join("")}0\r\n${trailer}\r\n`;

/** What reading `wire` gives: the response, or the error's code and message. */
type Read = { status: number; body: string } | { code: string; message: string };
type Outcome = { status: number; body: string } | { code: string; message: RegExp };

/** Feeds `wire` in pieces of `size` bytes through one reused buffer, as a socket's `onread` does. */
function read(wire: string, size: number, maxBytes: number, end: boolean): Read {
  const reader = new ResponseReader(maxBytes);
  const bytes = Buffer.from(wire, "latin1");
  const reused = Buffer.alloc(size);
  let got: Response | null = null;
  try {
    for (let i = 0; i < bytes.length && !got; i += size) {
      const n = bytes.copy(reused, 0, i, i + size);
      got = reader.feed(reused.subarray(0, n));
      reused.fill(0x21); // the next read overwrites the buffer: the reader must have copied what it keeps
    }
    if (!got && end) got = reader.end();
    if (!got) return { code: "INCOMPLETE", message: "no complete response" };
    return { status: got.status, body: got.body.toString("latin1") };
  } catch (err) {
    const e = err as Error & { code: string };
    return { code: e.code, message: e.message };
  }
}

const ok = (body: string, status = 200): Outcome => ({ status, body });
const fails = (code: string, message: RegExp): Outcome => ({ code, message });

/** [name, wire, connection closes after it, max bytes, expected] */
const cases: [string, string, boolean, number, Outcome][] = [
  ["Content-Length", head("HTTP/1.1 200 OK", `Content-Length: ${BODY.length}`) + BODY, false, 1 << 20, ok(BODY)],
  ["Content-Length: bytes after the body are not read", head("HTTP/1.1 200 OK", "Content-Length: 5") + "hellogarbage", false, 1 << 20, ok("hello")],
  ["Content-Length 0", head("HTTP/1.1 200 OK", "Content-Length: 0"), false, 1 << 20, ok("")],
  ["the same Content-Length twice is one length", head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 5") + "hello", false, 1 << 20, ok("hello")],
  ["header names in any case, values with spaces around", head("HTTP/1.1 200 OK", "content-LENGTH:   5  ", "X-Empty:") + "hello", false, 1 << 20, ok("hello")],
  ["chunked, with an extension and a trailer", head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(["edge", "manage", BODY]).replace("4\r\n", "4;name=x\r\n").replace(/0\r\n\r\n$/, "0\r\nX-Trailer: 1\r\n\r\n"), false, 1 << 20, ok(`edgemanage${BODY}`)],
  ["chunked wins over Content-Length", head("HTTP/1.1 200 OK", "Content-Length: 3", "Transfer-Encoding: chunked") + chunked(["hello"]), false, 1 << 20, ok("hello")],
  ["a coding other than chunked last: read to the close", head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip") + "zzzz", true, 1 << 20, ok("zzzz")],
  ["no length: read to the close", head("HTTP/1.0 200 OK") + BODY, true, 1 << 20, ok(BODY)],
  ["an interim 100 Continue, then the answer", head("HTTP/1.1 100 Continue") + head("HTTP/1.1 200 OK", "Content-Length: 2") + "hi", false, 1 << 20, ok("hi")],
  ["103 Early Hints with fields, then the answer", head("HTTP/1.1 103 Early Hints", "Link: </a.css>; rel=preload") + head("HTTP/1.1 200 OK", "Content-Length: 2") + "hi", false, 1 << 20, ok("hi")],
  ["a thousand interim answers in a row, then the answer", head("HTTP/1.1 100 Continue").repeat(1000) + head("HTTP/1.1 200 OK", "Content-Length: 2") + "hi", false, 1 << 20, ok("hi")],
  ["204 has no body", head("HTTP/1.1 204 No Content", "Content-Length: 10"), false, 1 << 20, ok("", 204)],
  ["304 has no body", head("HTTP/1.1 304 Not Modified"), false, 1 << 20, ok("", 304)],
  ["an error status is a response like any", head("HTTP/1.1 503 Service Unavailable", "Content-Length: 4") + "busy", false, 1 << 20, ok("busy", 503)],
  ["bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", false, 1 << 20, ok("hi")],
  ["a status line without a reason", head("HTTP/1.1 200", "Content-Length: 2") + "hi", false, 1 << 20, ok("hi")],
  ["Content-Length over max_bytes: refused before the body", head("HTTP/1.1 200 OK", "Content-Length: 1000"), false, 100, fails("ERR_TOO_LARGE", /Content-Length 1000/)],
  ["a chunked body over max_bytes", head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked([BODY, BODY]), false, BODY.length + 10, fails("ERR_TOO_LARGE", /body over/)],
  ["a body to the close over max_bytes", head("HTTP/1.0 200 OK") + BODY, true, 10, fails("ERR_TOO_LARGE", /body over 10 bytes/)],
  ["not HTTP at all", "SSH-2.0-OpenSSH_9.2\r\n\r\n", false, 1 << 20, fails("HPE_INVALID_CONSTANT", /not an HTTP\/1\.x status line: "SSH-2\.0/)],
  ["not HTTP, its first line alone: refused without waiting for more", "SSH-2.0-OpenSSH_9.2\r\n", false, 1 << 20, fails("HPE_INVALID_CONSTANT", /"SSH-2\.0-OpenSSH_9\.2"/)],
  ["HTTP/2 preface is not HTTP/1.x", head("HTTP/2 200"), false, 1 << 20, fails("HPE_INVALID_CONSTANT", /status line/)],
  ["a malformed header field", head("HTTP/1.1 200 OK", "no colon here"), false, 1 << 20, fails("HPE_INVALID_HEADER_TOKEN", /"no colon here"/)],
  ["a folded header line", head("HTTP/1.1 200 OK", "X-A: 1", " folded"), false, 1 << 20, fails("HPE_INVALID_HEADER_TOKEN", /folded/)],
  ["two different Content-Lengths", head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6") + "hello!", false, 1 << 20, fails("HPE_UNEXPECTED_CONTENT_LENGTH", /5, 6/)],
  ["a negative Content-Length", head("HTTP/1.1 200 OK", "Content-Length: -1"), false, 1 << 20, fails("HPE_UNEXPECTED_CONTENT_LENGTH", /-1/)],
  ["101 on a plain GET", head("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket"), false, 1 << 20, fails("HPE_INVALID_CONSTANT", /switched protocols/)],
  ["a head over the limit", `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}`, false, 1 << 20, fails("HPE_HEADER_OVERFLOW", /head over 16384 bytes/)],
  ["an invalid chunk size", head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + "zz\r\nhello\r\n", false, 1 << 20, fails("HPE_INVALID_CHUNK_SIZE", /"zz"/)],
  ["chunk data longer than its size", head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + "2\r\nhello\r\n0\r\n\r\n", false, 1 << 20, fails("HPE_STRICT", /longer than its size/)],
  ["closed before a whole head", "HTTP/1.1 200 OK\r\nContent-Le", true, 1 << 20, fails("ECONNRESET", /socket hang up/)],
  ["closed inside a Content-Length body", head("HTTP/1.1 200 OK", "Content-Length: 10") + "hello", true, 1 << 20, fails("ECONNRESET", /inside the body/)],
  ["closed inside a chunked body", head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + "5\r\nhel", true, 1 << 20, fails("ECONNRESET", /inside the body/)],
  ["closed with nothing sent", "", true, 1 << 20, fails("ECONNRESET", /socket hang up/)],
];

describe("reading an edge's HTTP/1.1 answer (pure)", () => {
  for (const [name, wire, end, max, expected] of cases) {
    test(name, () => {
      // Whole, then in every piece size that splits heads, chunk lines and bodies differently.
      for (const size of [Math.max(wire.length, 1), 1, 2, 3, 7, 64]) {
        const got = read(wire, size, max, end);
        if ("status" in expected) assert.deepEqual(got, expected, `pieces of ${size}`);
        else {
          assert.ok("code" in got, `pieces of ${size}: expected ${expected.code}, got a response`);
          assert.equal(got.code, expected.code, `pieces of ${size}`);
          assert.match(got.message, expected.message, `pieces of ${size}`);
        }
      }
    });
  }

  test("a response is complete at its last byte, before the connection closes", () => {
    const reader = new ResponseReader(1 << 20);
    assert.equal(reader.feed(Buffer.from(head("HTTP/1.1 200 OK", "Content-Length: 4") + "ab")), null);
    assert.deepEqual(reader.feed(Buffer.from("cd")), { status: 200, body: Buffer.from("abcd") });
  });
});
