export { start as command } from './app-control.js';
