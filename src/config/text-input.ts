import { readFileSync, statSync } from "node:fs";
import { OperatorError, errorMessage } from "../util/errors.js";

/** An operator's file as bytes: a regular file (a FIFO or device would block the run), bounded in size. */
export function readInputFile(file: string, key: string, maxBytes: number): Buffer {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error(st.isDirectory() ? "it is a folder" : "not a regular file");
    if (st.size > maxBytes) throw new Error(`${st.size} bytes, more than the ${maxBytes} allowed`);
    return readFileSync(file);
  } catch (err) {
    throw new OperatorError(`${file}: cannot read it (${errorMessage(err)}); fix ${key}`, 2);
  }
}

/**
 * An operator's text file: a regular file (a FIFO or device would block the run), bounded in size,
 * valid UTF-8 (bytes that are not would be published as U+FFFD). Errors name the file and the key.
 */
export function readTextInput(file: string, key: string, maxBytes: number): string {
  const bytes = readInputFile(file, key, maxBytes);
  const text = bytes.toString("utf8");
  if (Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes)) return text;
  // Invalid bytes decode to U+FFFD and so do not encode back to themselves: the first such line.
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const chunk = bytes.subarray(start, end === -1 ? bytes.length : end);
    if (!Buffer.from(chunk.toString("utf8")).equals(chunk)) throw new OperatorError(`${file}: line ${line} is not valid UTF-8; save the file as UTF-8 (${key})`, 2);
    start = end + 1;
  }
}
