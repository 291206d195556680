import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, requireTool } from "./tools.js";

/** A self-signed certificate for `name`, made with openssl; `certFile` can be trusted via NODE_EXTRA_CA_CERTS. */
export async function selfSigned(name: string): Promise<{ key: string; cert: string; certFile: string }> {
  requireTool("openssl", "openssl");
  const dir = mkdtempSync(join(tmpdir(), "em-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const r = await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}
