import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { TooManyRecordsError, ValidationError } from '../errors.js';

// Bodies are checked exactly as sent: no type coercion, no silently dropped fields.
const bodyAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });
// Query strings arrive as text, so `hour=7` has to become the integer 7.
const queryAjv = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object);

/** Turns the first schema error into a message that names the record index and the field. */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const error = errors[0] as ErrorObject;
  if (dataVar === 'body') {
    if (error.keyword === 'maxItems') return new TooManyRecordsError(error.params.limit as number);
    return new ValidationError(describeBodyError(error));
  }
  const field = error.instancePath.slice(1) || (error.params.missingProperty as string | undefined);
  if (error.keyword === 'additionalProperties') {
    return new ValidationError(`unknown query parameter "${error.params.additionalProperty}"`);
  }
  if (error.keyword === 'required') return new ValidationError(`query parameter "${field}" is required`);
  return new ValidationError(`query parameter "${field}" ${error.message}`);
}

function describeBodyError(error: ErrorObject): string {
  const [index, field] = error.instancePath.split('/').slice(1);
  if (index === undefined) return 'body must be a JSON array of flow records';
  const where = `record ${index}`;
  switch (error.keyword) {
    case 'type':
      return field ? `${where}: field "${field}" ${error.message}` : `${where}: must be an object`;
    case 'required':
      return `${where}: missing field "${error.params.missingProperty}"`;
    case 'additionalProperties':
      return `${where}: unknown field "${error.params.additionalProperty}"`;
    case 'pattern':
      // The names' only pattern (schemas/flow.ts NAME_PATTERN), said in words.
      return `${where}: field "${field}" must not contain NUL or an unpaired UTF-16 surrogate`;
    default:
      return `${where}: field "${field}" ${error.message}`;
  }
}
