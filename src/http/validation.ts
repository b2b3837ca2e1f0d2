import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { TooManyRecordsError, ValidationError } from '../errors.js';
import { describeRule } from '../schemas/rule-wording.js';

// Bodies are checked exactly as sent: no type coercion, no silently dropped fields.
const bodyAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });
// Query strings arrive as text, so `hour=7` has to become the integer 7, and a parameter given once
// where a list is allowed (`src_app=x`) a list of one.
const queryAjv = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false });

/** A query integer as a person writes one: Ajv's coercion would also take `1e2`, `+3`, ` 3`, `0x10` or `3.0`. */
const PLAIN_INTEGER = /^-?[0-9]+$/;

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/**
 * Query parameters typed integer must be written in plain decimal digits (and given once) before Ajv
 * coerces them; everything else is Ajv's, compiled from the route's schema.
 */
function queryValidator(schema: { properties?: Record<string, { type?: unknown }> }): Validate {
  const validate = queryAjv.compile(schema);
  const integers = Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
  const check: Validate = (data) => {
    const query = data as Record<string, unknown>;
    for (const name of integers) {
      const value = query[name];
      const keyword = Array.isArray(value)
        ? 'once'
        : typeof value === 'string' && !PLAIN_INTEGER.test(value)
          ? 'plainInteger'
          : undefined;
      if (keyword) {
        check.errors = [{ keyword, instancePath: `/${name}`, schemaPath: '', params: {} }];
        return false;
      }
    }
    const valid = validate(data);
    check.errors = validate.errors;
    return valid;
  };
  return check;
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  httpPart === 'querystring'
    ? queryValidator(schema as object)
    : (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object);

/** Turns the first schema error into a message that names the record index and the field. */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const error = errors[0] as ErrorObject;
  if (dataVar === 'body') {
    if (error.keyword === 'maxItems') return new TooManyRecordsError(error.params.limit as number);
    return new ValidationError(describeBodyError(error));
  }
  // `/by/0` is an item of the list `by`: the message names the parameter.
  const field = error.instancePath.split('/')[1] || (error.params.missingProperty as string | undefined);
  switch (error.keyword) {
    case 'additionalProperties':
      return new ValidationError(`unknown query parameter "${error.params.additionalProperty}"`);
    case 'required':
      return new ValidationError(`query parameter "${field}" is required`);
    case 'once':
      return new ValidationError(`query parameter "${field}" must be given once`);
    case 'plainInteger':
      return new ValidationError(`query parameter "${field}" must be a whole number in plain decimal digits`);
    default:
      return new ValidationError(`query parameter "${field}" ${describeRule(error)}`);
  }
}

function describeBodyError(error: ErrorObject): string {
  const [index, field] = error.instancePath.split('/').slice(1);
  if (index === undefined) return 'body must be a JSON array of flow records';
  const where = `record ${index}`;
  switch (error.keyword) {
    case 'type':
      return field ? `${where}: field "${field}" ${describeRule(error)}` : `${where}: must be an object`;
    case 'required':
      return `${where}: missing field "${error.params.missingProperty}"`;
    case 'additionalProperties':
      return `${where}: unknown field "${error.params.additionalProperty}"`;
    default:
      return `${where}: field "${field}" ${describeRule(error)}`;
  }
}
