// Build step: compile the JSON Schemas to standalone validator modules
// (ajv standalone), so no command pays ajv's schema compilation at run time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { podManifestSchema } from '../dist/manifest/schema.js';
import { stage1ManifestSchema } from '../dist/stage1.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js').default;
const standaloneCode = require('ajv/dist/standalone/index.js').default;

// ajv's "esm" output still require()s its runtime helpers: turn those into imports.
function toEsm(code) {
  const imports = [];
  const body = code.replace(/const (\w+) = require\("([^"]+)"\)\.default;/g, (_, name, mod) => {
    imports.push(`import ${name}$module from "${mod}.js";`);
    return `const ${name} = ${name}$module.default;`;
  });
  if (/\brequire\(/.test(body)) throw new Error('compile-schemas: generated code still calls require()');
  return `${imports.join('\n')}\n${body.replace(/^"use strict";/, '')}`;
}

const ajv = new Ajv2020({
  allErrors: false, verbose: true, strict: true, strictRequired: false, strictTypes: false, strictTuples: false,
  code: { source: true, esm: true },
});
ajv.addKeyword('x-expect');
const out = new URL('../dist/generated/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const [file, schema] of [['pod-manifest.js', podManifestSchema], ['stage1-manifest.js', stage1ManifestSchema]]) {
  writeFileSync(new URL(file, out), toEsm(standaloneCode(ajv, ajv.compile(schema))));
}
