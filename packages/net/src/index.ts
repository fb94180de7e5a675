export * from './conflist.js';
export * from './plugins.js';
export * from './netns.js';
export * from './names.js';
export * from './default-network.js';
export * from './attachment.js';
export * from './state.js';
