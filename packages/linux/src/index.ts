export * from './secure-join.js';
export * from './syscalls.js';
export * from './lock.js';
