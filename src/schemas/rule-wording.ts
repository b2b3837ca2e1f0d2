import type { ErrorObject } from 'ajv';
import { ISO_TIME } from './counts.js';
import { NAME_PATTERN } from './flow.js';

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/** What the patterns of the service's schemas ask, in words. */
const PATTERN_WORDS: Record<string, string> = {
  [NAME_PATTERN]: 'must not contain NUL or an unpaired UTF-16 surrogate',
  [ISO_TIME]: 'must be an ISO 8601 time with a zone, such as 2026-11-21T16:00:00Z',
};

/**
 * What a schema rule a value broke asks of it, in the service's words ("must not be empty"), for every
 * message a user sees (request errors, configuration errors); Ajv's own wording ("must NOT have fewer
 * than 1 characters") never reaches them. Rules this service does not use get a plain "is not valid".
 */
export function describeRule(error: Pick<ErrorObject, 'keyword' | 'params'>): string {
  const { params } = error;
  switch (error.keyword) {
    case 'type':
      return `must be ${TYPE_WORDS[params.type as string] ?? params.type}`;
    case 'minimum':
      return `must be >= ${params.limit}`;
    case 'maximum':
      return `must be <= ${params.limit}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters`;
    case 'maxLength':
      return `must be at most ${params.limit} characters`;
    case 'pattern':
      return PATTERN_WORDS[params.pattern as string] ?? 'is not in the expected form';
    case 'maxItems':
      return `must list at most ${params.limit} items`;
    case 'minItems':
      return `must list at least ${params.limit} items`;
    case 'uniqueItems':
      return 'must not list an item twice';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    default:
      return 'is not valid';
  }
}
