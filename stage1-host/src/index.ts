/**
 * stage1 host: systemd-nspawn namespace isolation (the ordinary container level).
 * Not implemented yet (issue #4): stage0 lists it as planned and refuses
 * --stage1-name=host with a clear error until this package exports a
 * Stage1Implementation (see packages/contract/ABI.md).
 */
export const planned = { name: 'host', issue: 4, summary: 'systemd-nspawn namespace isolation (the ordinary container level)' } as const;
