export * from './users.js';
export * from './app-plan.js';
export * from './become-app.js';
export * from './entrypoint-main.js';
