/**
 * Validation against the official OCI runtime-spec config schema, as Debian's
 * golang-github-opencontainers-specs-dev ships it (JSON Schema draft-04).
 * The files carry no ids and refer to each other by file name
 * ("defs.json#/definitions/uint32"), so each is added under its file name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';

export const OCI_RUNTIME_SCHEMA_DIR = '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';
const CONFIG_SCHEMA = 'config-schema.json';

let compiled: ValidateFunction | undefined;

function configValidator(): ValidateFunction {
  if (compiled !== undefined) return compiled;
  if (!existsSync(join(OCI_RUNTIME_SCHEMA_DIR, CONFIG_SCHEMA))) {
    throw new Error(`${join(OCI_RUNTIME_SCHEMA_DIR, CONFIG_SCHEMA)}: the OCI runtime-spec schema is missing; apt-get install golang-github-opencontainers-specs-dev (scripts/setup.sh installs it)`);
  }
  // Under NodeNext the default import types as the CommonJS module, whose
  // `default` is the class; at run time the module itself is the class too.
  type AjvClass = typeof AjvDraft04.default;
  const Ajv: AjvClass = AjvDraft04.default ?? (AjvDraft04 as unknown as AjvClass);
  // strict off: the official schemas use draft-04 idioms (e.g. `required` next to
  // no `properties`) that Ajv's strict mode flags; we validate, we don't lint them.
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const file of readdirSync(OCI_RUNTIME_SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()) {
    ajv.addSchema(JSON.parse(readFileSync(join(OCI_RUNTIME_SCHEMA_DIR, file), 'utf8')) as object, file);
  }
  const validate = ajv.getSchema(CONFIG_SCHEMA);
  if (validate === undefined) throw new Error(`${CONFIG_SCHEMA}: not compiled from ${OCI_RUNTIME_SCHEMA_DIR}`);
  compiled = validate;
  return validate;
}

/** Schema errors of an OCI runtime config (`config.json`) as "path: message" lines; empty when valid. */
export function validateOciConfig(config: unknown): string[] {
  const validate = configValidator();
  // Validate what runc reads: the JSON text, not the in-memory object (undefined fields vanish).
  if (validate(JSON.parse(JSON.stringify(config)))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`);
}
