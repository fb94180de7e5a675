/** The default network's names, importable without the CNI machinery (stage0 resolves `--net=default` at prepare). */
export const DEFAULT_NETWORK = 'podstage';
export const DEFAULT_BRIDGE = 'podstage0';
