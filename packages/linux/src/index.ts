export * from './secure-join.js';
export * from './syscalls.js';
export * from './lock.js';
export * from './terminate.js';
export * from './users.js';
export * from './pod-processes.js';
export * from './execve.js';
export * from './backoff.js';
