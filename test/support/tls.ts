import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

export interface TestCA {
  dir: string;
  /** Trust it with NODE_EXTRA_CA_CERTS. */
  certFile: string;
}

/** A certificate authority of the tests' own, made with openssl. */
export async function testCA(): Promise<TestCA> {
  requireTool("openssl", "openssl");
  const dir = mkdtempSync(join(tmpdir(), "em-ca-"));
  const r = await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"), "-days", "30", "-subj", "/O=edgemanage tests/CN=edgemanage test CA"]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  mkdirSync(join(dir, "newcerts"));
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    `[ca]\ndefault_ca = test\n[test]\ndir = ${dir}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir/newcerts\nserial = $dir/serial\ncertificate = $dir/ca.pem\nprivate_key = $dir/ca.key\ndefault_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = copy\n[any]\ncommonName = supplied\n`,
  );
  return { dir, certFile: join(dir, "ca.pem") };
}

/** A leaf certificate for `name` signed by the CA, valid between two openssl dates (YYYYMMDDHHMMSSZ). */
export async function issue(ca: TestCA, id: string, name: string, start: Date, end: Date): Promise<{ key: string; cert: string }> {
  const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
  const key = join(ca.dir, `${id}.key`);
  const csr = join(ca.dir, `${id}.csr`);
  const pem = join(ca.dir, `${id}.pem`);
  let r = await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`]);
  if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  r = await run("openssl", ["ca", "-batch", "-config", join(ca.dir, "ca.cnf"), "-in", csr, "-out", pem, "-startdate", stamp(start), "-enddate", stamp(end)]);
  if (r.code !== 0) throw new Error(`openssl ca failed: ${r.stderr}`);
  return { key: readFileSync(key, "utf8"), cert: readFileSync(pem, "utf8") };
}
