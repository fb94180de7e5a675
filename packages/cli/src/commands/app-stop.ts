export { stop as command } from './app-control.js';
