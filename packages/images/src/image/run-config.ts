/** The runnable defaults of an image, read from its OCI / Docker config JSON. */
import { PodstageError } from '@podstage/contract/errors';
import type { ImageRunConfig } from './types.js';

function invalid(what: string, field: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: field \`${field}\` ${expectation}`);
}

function stringArray(value: unknown, what: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(what, field, 'must be an array of strings');
  return value;
}

function string(value: unknown, what: string, field: string, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') throw invalid(what, field, 'must be a string');
  return value;
}

function objectKeys(value: unknown, what: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(what, field, 'must be an object');
  return Object.keys(value);
}

function stringMap(value: unknown, what: string, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(what, field, 'must be an object of strings');
  const result: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(what, `${field}.${key}`, 'must be a string');
    result[key] = v;
  }
  return result;
}

/** `what` names the config blob for error messages. */
export function parseRunConfig(configJson: string, what: string): ImageRunConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(configJson);
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: not valid JSON, expected an OCI image config`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: expected a JSON object (OCI image config)`);
  }
  const container = (parsed as { config?: unknown }).config ?? {};
  if (typeof container !== 'object' || container === null || Array.isArray(container)) throw invalid(what, 'config', 'must be an object');
  const c = container as Record<string, unknown>;
  return {
    entrypoint: stringArray(c['Entrypoint'], what, 'config.Entrypoint'),
    cmd: stringArray(c['Cmd'], what, 'config.Cmd'),
    env: stringArray(c['Env'], what, 'config.Env'),
    workingDir: string(c['WorkingDir'], what, 'config.WorkingDir', '/'),
    user: string(c['User'], what, 'config.User', ''),
    exposedPorts: objectKeys(c['ExposedPorts'], what, 'config.ExposedPorts'),
    labels: stringMap(c['Labels'], what, 'config.Labels'),
  };
}
