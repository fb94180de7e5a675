export * from './conmon.js';
export * from './pod.js';
export * from './entrypoints.js';
