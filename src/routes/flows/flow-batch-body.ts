import { isUtf8 } from 'node:buffer';
import type { FastifyBodyParser, FastifyInstance, FastifySchemaCompiler } from 'fastify';
import fastify from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { ValidationError } from '../../errors.js';
import { formatValidationError } from '../../http/validation.js';
import { type FlowRecord, flowBatch } from '../../schemas/flow.js';
import { findLenientInput } from './lenient-json.js';

const { FST_ERR_CTP_EMPTY_JSON_BODY } = fastify.errorCodes;

/**
 * `POST /flows` bodies arrive as raw bytes, so a store with a fast path can read them without
 * JSON.parse (see FlowStore.ingestJson). Everything else (other stores, and bodies the fast path
 * declines) goes through `decodeFlowBatch`: Fastify's own JSON parser (which also refuses prototype
 * poisoning), a look at the text for what JSON.parse would hide (invalid UTF-8, a field given twice, a
 * fraction it rounds away), and the validator compiled from the TypeBox schema, with the usual messages.
 */
export const rawJsonBody: FastifyBodyParser<Buffer> = (_request, body, done) => {
  if (body.length === 0) done(new FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
  else done(null, body);
};

export function createFlowBatchDecoder(
  app: FastifyInstance,
  validatorCompiler: FastifySchemaCompiler<unknown>,
  maxRecords: number,
): (body: Buffer) => FlowRecord[] {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const validate = validatorCompiler({
    schema: flowBatch(maxRecords),
    method: 'POST',
    url: '/flows',
    httpPart: 'body',
  }) as ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

  return (body) => {
    // Decoding would replace invalid bytes with U+FFFD, and so merge names that differ.
    if (!isUtf8(body)) throw new ValidationError('body is not valid UTF-8');
    const text = body.toString('utf8');
    let parsed: unknown;
    let failure: Error | null = null;
    // The default parser calls back synchronously.
    parseJson({} as never, text, (err, value) => {
      failure = err;
      parsed = value;
    });
    if (failure) throw failure;
    const lenient = findLenientInput(text);
    if (lenient) throw new ValidationError(lenient);
    if (!validate(parsed)) throw formatValidationError(validate.errors ?? [], 'body');
    return parsed as FlowRecord[];
  };
}
