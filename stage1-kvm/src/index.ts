/**
 * stage1 kvm: each pod in its own QEMU virtual machine with a per-pod kernel.
 * Not implemented yet (issue #6): stage0 lists it as planned and refuses
 * --stage1-name=kvm with a clear error until this package exports a
 * Stage1Implementation (see packages/contract/ABI.md).
 */
export const planned = { name: 'kvm', issue: 6, summary: 'each pod in its own QEMU virtual machine with a per-pod kernel' } as const;
