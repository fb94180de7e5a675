/**
 * stage1 runc: OCI runtime-spec bundles run by runc or crun.
 * Not implemented yet (issue #5): stage0 lists it as planned and refuses
 * --stage1-name=runc with a clear error until this package exports a
 * Stage1Implementation (see packages/contract/ABI.md).
 */
export const planned = { name: 'runc', issue: 5, summary: 'OCI runtime-spec bundles run by runc or crun' } as const;
