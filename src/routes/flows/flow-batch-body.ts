import type { FastifyBodyParser, FastifyInstance, FastifySchemaCompiler } from 'fastify';
import fastify from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { formatValidationError } from '../../http/validation.js';
import { type FlowRecord, flowBatch } from '../../schemas/flow.js';

const { FST_ERR_CTP_EMPTY_JSON_BODY } = fastify.errorCodes;

/**
 * `POST /flows` bodies arrive as raw bytes, so a store with a fast path can read them without
 * JSON.parse (see FlowStore.ingestJson). Everything else (other stores, and bodies the fast path
 * declines) goes through `decodeFlowBatch`: Fastify's own JSON parser (which also refuses prototype
 * poisoning) and the validator compiled from the TypeBox schema, with the usual messages.
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
    let parsed: unknown;
    let failure: Error | null = null;
    // The default parser calls back synchronously.
    parseJson({} as never, body.toString('utf8'), (err, value) => {
      failure = err;
      parsed = value;
    });
    if (failure) throw failure;
    if (!validate(parsed)) throw formatValidationError(validate.errors ?? [], 'body');
    return parsed as FlowRecord[];
  };
}
