export { rm as command } from './app-control.js';
