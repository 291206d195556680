import { tmpdir } from "node:os";
import { join } from "node:path";
import { OperatorError } from "../util/errors.js";
import { sha256 } from "../util/fs.js";
import { type NetworkSettings, parseConfig, settingsFor } from "./load.js";

/**
 * Day-2 without a checkout: `--state-url s3://BUCKET/PREFIX[?region=R&endpoint=URL&path_style=true]`
 * names a network's state (`PREFIX/DNET.state.json.gz`, as the chart keeps it) with no configuration
 * file. The edges are those the state knows; credentials and endpoint come from the environment
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role; AWS_ENDPOINT_URL_S3).
 */
export function settingsFromStateUrl(text: string, dnet: string): NetworkSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OperatorError(`--state-url: '${text}' is not a URL; expected s3://BUCKET/PREFIX`, 2);
  }
  if (url.protocol !== "s3:" || !url.hostname) throw new OperatorError(`--state-url: '${text}' is not s3://BUCKET/PREFIX`, 2);
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  const q = url.searchParams;
  const state = {
    backend: "s3",
    bucket: url.hostname,
    key: `${prefix ? `${prefix}/` : ""}{dnet}.state.json.gz`,
    ...(q.get("region") ? { region: q.get("region") } : process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}),
    ...(q.get("endpoint") ? { endpoint: q.get("endpoint") } : {}),
    force_path_style: q.get("path_style") === "true",
  };
  // Only the state matters to the tools that take --state-url; the rest is never read.
  const config = JSON.stringify({
    testobject: { host: "unused.invalid", uri: "/", local: "/dev/null" },
    dns: { ns_records: ["unused.invalid."], soa_nameserver: "unused.invalid.", soa_mailbox: "unused.invalid." },
    healthdata_store: "/nonexistent",
    edgelist_dir: "/nonexistent",
    goodenough: 0.5,
    statefile: "/nonexistent/{dnet}.state",
    // One lock per bucket, endpoint and network on this machine; the bucket's conditional writes do the rest.
    lockfile: join(tmpdir(), `edgemanage-${sha256(`${text} ${process.env.AWS_ENDPOINT_URL_S3 ?? ""}`).slice(0, 12)}.{dnet}.lock`),
    zonetemplate_dir: "/nonexistent",
    edge_count: 1,
    named_dir: "/nonexistent",
    state,
  });
  const source = `--state-url ${text}`;
  return { ...settingsFor(parseConfig(config, source).config, "/dev/null", dnet), configPath: source, edgesFromState: true };
}
