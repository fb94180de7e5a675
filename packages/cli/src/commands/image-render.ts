import type { Command } from '../cli/command.js';
import { command as extract } from './image-extract.js';

export const command: Command = { ...extract, name: 'image render', usage: extract.usage.replace('image extract', 'image render') };
