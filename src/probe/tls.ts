import https from "node:https";
import type { Duplex } from "node:stream";
import tls, { type PeerCertificate, type TLSSocket } from "node:tls";

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

/**
 * An agent for one HTTPS probe. It always completes the handshake, so the certificate is recorded
 * even when it is expired or for another name, and then, when `verify` is on, refuses to go on
 * with a reason that says which.
 */
export class CertAgent extends https.Agent {
  cert: PeerCert | null = null;

  constructor(
    private readonly host: string,
    private readonly verify: boolean,
    localAddress?: string,
  ) {
    super({ keepAlive: false, maxSockets: Infinity, servername: host, rejectUnauthorized: false, localAddress });
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection(options, callback) as TLSSocket;
    socket.once("secureConnect", () => {
      const c = socket.getPeerCertificate();
      if (!c?.valid_to) return;
      const identity = tls.checkServerIdentity(this.host, c);
      const chainError = socket.authorized ? null : String(socket.authorizationError);
      this.cert = { notAfter: Date.parse(c.valid_to) / 1000, issuer: issuerOf(c), nameMatch: identity === undefined, chainError };
      if (!this.verify) return;
      if (chainError === "CERT_HAS_EXPIRED") socket.destroy(new CertificateError(`certificate expired on ${new Date(this.cert.notAfter * 1000).toISOString()} (CERT_HAS_EXPIRED)`));
      else if (identity) socket.destroy(new CertificateError(`certificate name mismatch: ${identity.message}`));
      else if (chainError) socket.destroy(new CertificateError(`certificate not trusted (${chainError})`));
    });
    return socket;
  }
}
