import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

let compiled: ValidateFunction | undefined;

/**
 * The validator of schema/report.schema.json (strict, every error collected), compiled
 * once per test file. Use as `expect(validate(r), JSON.stringify(validate.errors)).toBe(true)`.
 */
export function reportSchemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    compiled = ajv.compile(
      JSON.parse(
        readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
      ) as object,
    );
  }
  return compiled;
}
