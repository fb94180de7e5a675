export * from './users.js';
export * from './app-plan.js';
export * from './become-app.js';
export * from './app-mounts.js';
export * from './cgroups.js';
export * from './cri-log.js';
export * from './seccomp.js';
export * from './entrypoint-main.js';
