export * from './profile.js';
export * from './bpf.js';
export * from './install.js';
export * from './oci.js';
export { SYSCALLS_X86_64, MAX_KNOWN_SYSCALL_X86_64, syscallNumberX86_64 } from './syscalls-x86_64.js';
