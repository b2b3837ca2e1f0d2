import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { TooManyRecordsError, ValidationError } from '../errors.js';

// Bodies are checked exactly as sent: no type coercion, no silently dropped fields.
const bodyAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });
// Query strings arrive as text, so `hour=7` has to become the integer 7, and a parameter given once
// where a list is allowed (`src_app=x`) a list of one.
const queryAjv = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object);

/** Turns the first schema error into a message that names the record index and the field. */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const error = errors[0] as ErrorObject;
  if (dataVar === 'body') {
    if (error.keyword === 'maxItems') return new TooManyRecordsError(error.params.limit as number);
    return new ValidationError(describeBodyError(error));
  }
  // `/by/0` is an item of the list `by`: the message names the parameter.
  const field = error.instancePath.split('/')[1] || (error.params.missingProperty as string | undefined);
  if (error.keyword === 'additionalProperties') {
    return new ValidationError(`unknown query parameter "${error.params.additionalProperty}"`);
  }
  if (error.keyword === 'required') return new ValidationError(`query parameter "${field}" is required`);
  if (error.keyword === 'enum') {
    return new ValidationError(`query parameter "${field}" must be one of ${error.params.allowedValues.join(', ')}`);
  }
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
    default:
      return `${where}: field "${field}" ${error.message}`;
  }
}
