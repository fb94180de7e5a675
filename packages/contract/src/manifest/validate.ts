/**
 * Manifests enter the runtime only through these functions: schema check
 * (ajv, draft 2020-12), then the cross-field rules a schema cannot say.
 * Errors name the JSON path and what was expected.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PodstageError } from '../errors.js';
import { isCapability } from './capabilities.js';
import { ISOLATOR } from './isolators.js';
import { podManifestSchema } from './schema.js';
import type { Isolator, PodManifest } from './types.js';

const require = createRequire(import.meta.url);
const validators = new Map<object, ValidateFunction>();

/**
 * The build compiles each schema to a standalone validator
 * (scripts/compile-schemas.js), so running podstage never pays ajv's ~300 ms
 * schema compilation. Without the build step's output, compile at run time.
 */
function precompiled(schema: object): ValidateFunction | undefined {
  const id = (schema as { $id?: string }).$id;
  const file = id === undefined ? undefined : /\/schemas\/([a-z0-9-]+)\.json$/.exec(id)?.[1];
  if (file === undefined) return undefined;
  try {
    return (require(`../generated/${file}.js`) as { default: ValidateFunction }).default;
  } catch {
    return undefined;
  }
}

export function compileSchema(schema: object): ValidateFunction {
  let fn = validators.get(schema) ?? precompiled(schema);
  if (fn === undefined) {
    const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;
    const ajv = new Ajv2020({ allErrors: false, verbose: true, strict: true, strictRequired: false, strictTypes: false, strictTuples: false });
    ajv.addKeyword('x-expect');
    fn = ajv.compile(schema);
    validators.set(schema, fn);
  }
  return fn;
}

/** `/apps/0/app/exec` → `apps[0].app.exec` */
export function jsonPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const p of parts) out += /^[0-9]+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
}

export function describeSchemaError(e: ErrorObject, root = ''): string {
  const prefix = (p: string) => (root === '' ? p : p === '(root)' ? root : `${root}.${p}`);
  const expect = (e.parentSchema as Record<string, unknown> | undefined)?.['x-expect'];
  switch (e.keyword) {
    case 'required':
      return `${prefix(jsonPath(e.instancePath, String(e.params.missingProperty)))}: is required`;
    case 'additionalProperties':
      return `${prefix(jsonPath(e.instancePath))}: unknown field ${JSON.stringify(e.params.additionalProperty)}`;
    case 'minItems':
      if (e.params.limit === 1) return `${prefix(jsonPath(e.instancePath))}: must be a non-empty array`;
      break;
    case 'not':
    case 'if':
      break;
  }
  const why = typeof expect === 'string' ? expect : (e.message ?? 'is invalid');
  const got = e.keyword === 'type' || e.keyword === 'minLength' || e.keyword === 'pattern' || e.keyword === 'enum' || e.keyword === 'const' ? `, got ${JSON.stringify(e.data)}` : '';
  return `${prefix(jsonPath(e.instancePath))}: ${why}${got}`;
}

export function validateAgainst(schema: object, value: unknown, what: string): void {
  const fn = compileSchema(schema);
  if (!fn(value)) {
    const first = fn.errors?.[0];
    const detail = first === undefined ? 'is invalid' : describeSchemaError(first);
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${what}: ${detail}`);
  }
}

function fail(what: string, detail: string): never {
  throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${what}: ${detail}`);
}

function checkIsolators(what: string, field: string, isolators: Isolator[] | undefined): void {
  const seen = new Set<string>();
  (isolators ?? []).forEach((iso, i) => {
    const at = `${field}[${i}]`;
    if (seen.has(iso.name)) fail(what, `${at}.name: isolator ${JSON.stringify(iso.name)} is given twice`);
    seen.add(iso.name);
    if (iso.name === ISOLATOR.capsRetain || iso.name === ISOLATOR.capsRemove) {
      const set = (iso.value as { set: string[] }).set;
      set.forEach((c, j) => {
        if (!isCapability(c)) fail(what, `${at}.value.set[${j}]: unknown capability ${JSON.stringify(c)}`);
      });
    }
  });
  if (seen.has(ISOLATOR.capsRetain) && seen.has(ISOLATOR.capsRemove)) {
    fail(what, `${field}: capabilities-retain-set and capabilities-remove-set cannot both be given`);
  }
  if (seen.has(ISOLATOR.seccompRetain) && seen.has(ISOLATOR.seccompRemove)) {
    fail(what, `${field}: seccomp-retain-set and seccomp-remove-set cannot both be given`);
  }
}

/** Rules across fields: unique names, mounts naming volumes that exist. */
export function checkPodManifest(m: PodManifest, what = 'pod manifest'): void {
  const volumes = new Set<string>();
  (m.volumes ?? []).forEach((v, i) => {
    if (volumes.has(v.name)) fail(what, `volumes[${i}].name: volume ${JSON.stringify(v.name)} is given twice`);
    volumes.add(v.name);
  });
  const apps = new Set<string>();
  m.apps.forEach((a, i) => {
    if (apps.has(a.name)) fail(what, `apps[${i}].name: app ${JSON.stringify(a.name)} is given twice`);
    apps.add(a.name);
    (a.mounts ?? []).forEach((mt, j) => {
      if (!volumes.has(mt.volume)) {
        fail(what, `apps[${i}].mounts[${j}].volume: no volume named ${JSON.stringify(mt.volume)} in volumes`);
      }
    });
    checkIsolators(what, `apps[${i}].app.isolators`, a.app.isolators);
  });
  checkIsolators(what, 'isolators', m.isolators);
}

/** Parse and validate a pod manifest from JSON text or an already parsed value. */
export function parsePodManifest(input: string | unknown, what = 'pod manifest'): PodManifest {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${what}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
  }
  validateAgainst(podManifestSchema, value, what);
  const m = value as PodManifest;
  checkPodManifest(m, what);
  return m;
}
