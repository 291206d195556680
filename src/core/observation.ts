/** Every outcome of a probe; all but `ok` are failures. */
export const OUTCOMES = ["ok", "timeout", "deadline", "refused", "http_error", "checksum", "too_large", "tls", "error"] as const;

/** What probing one address produced. `seconds` is the failure value for every failed outcome. */
export interface Observation {
  seconds: number;
  outcome: (typeof OUTCOMES)[number];
  detail?: string;
  /** The TLS certificate the address presented (HTTPS only). */
  cert?: { notAfter: number; issuer: string; nameMatch: boolean };
}

export const failed = (o: Observation | undefined, failValue: number): boolean => o !== undefined && (o.outcome !== "ok" || o.seconds >= failValue);
