import type { TcpNetConnectOpts } from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionOptions, PeerCertificate } from "node:tls";

/** The certificate an edge presented, as the probe saw it. */
export interface PeerCert {
  /** not-after, epoch seconds */
  notAfter: number;
  issuer: string;
  /** Valid for testobject.host (checked whether or not `verify` is on). */
  nameMatch: boolean;
  /** Why the chain is not trusted (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …), or null. */
  chainError: string | null;
}

/** A TLS failure the probe decided on itself: `verify` is on and the certificate is not acceptable. */
export class CertificateError extends Error {
  readonly code = "ERR_EDGE_CERTIFICATE";
}

const issuerOf = (c: PeerCertificate) => [c.issuer?.O, c.issuer?.CN].filter(Boolean).join(", ") || "unknown";

export interface TlsTarget {
  address: string;
  port: number;
  /** SNI name, and the name the certificate must be valid for. */
  host: string;
  verify: boolean;
  localAddress?: string;
}

/**
 * The connection of one HTTPS probe. It always completes the handshake, so the certificate is recorded
 * (`onCert`) even when it is expired or for another name, and then, when `verify` is on, refuses to go
 * on with a reason that says which.
 */
export function connectTls(t: TlsTarget, onCert: (c: PeerCert) => void): Duplex {
  // tls.connect takes every net.connect option (localAddress among them); its type does not say so.
  const tls = process.getBuiltinModule("node:tls");
  const options: ConnectionOptions & TcpNetConnectOpts = { host: t.address, port: t.port, servername: t.host, rejectUnauthorized: false, localAddress: t.localAddress };
  const socket = tls.connect(options);
  socket.once("secureConnect", () => {
    const c = socket.getPeerCertificate();
    if (!c?.valid_to) return;
    const identity = tls.checkServerIdentity(t.host, c);
    const chainError = socket.authorized ? null : String(socket.authorizationError);
    const cert: PeerCert = { notAfter: Date.parse(c.valid_to) / 1000, issuer: issuerOf(c), nameMatch: identity === undefined, chainError };
    onCert(cert);
    if (!t.verify) return;
    if (chainError === "CERT_HAS_EXPIRED") socket.destroy(new CertificateError(`certificate expired on ${new Date(cert.notAfter * 1000).toISOString()} (CERT_HAS_EXPIRED)`));
    else if (identity) socket.destroy(new CertificateError(`certificate name mismatch: ${identity.message}`));
    else if (chainError) socket.destroy(new CertificateError(`certificate not trusted (${chainError})`));
  });
  return socket;
}
