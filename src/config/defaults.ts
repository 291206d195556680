/** Where the configuration is read from when -c/--config is not given, as the classic tool had it. */
export const DEFAULT_CONFIG_PATH = "/etc/edgemanage/edgemanage.yaml";
