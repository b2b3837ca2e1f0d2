import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { answerBeforeFastify } from '../../http/answer-before-fastify.js';
import { answerError } from '../../http/error-handler.js';
import { JSON_TYPE } from '../../http/json-answer.js';
import { REPLAYED_HEADER, Replay } from '../../idempotency/gate.js';
import type { IdempotencyTicket, StoredResponse } from '../../idempotency/idempotency-store.js';

/** Bigger batches spend their time in the store, not in Fastify: they take the usual way. */
export const DIRECT_MAX_BYTES = 64 * 1024;

export interface DirectPostOptions {
  bodyLimit: number;
  /** Applies a batch as the route's handler does: its JSON answer, or what the route would throw. */
  applyBatch(body: Buffer, ticket: IdempotencyTicket | undefined): string | Promise<string>;
}

/**
 * Each answer is sent from a reaction to this promise: queueMicrotask, which wraps every callback in an
 * AsyncResource, cost twice as much.
 */
const SETTLED = Promise.resolve();

/** A new batch's JSON answer (200), or the stored response a repeated Idempotency-Key gets. */
type Answer = string | StoredResponse;

/**
 * `POST /flows` in its common case answered without Fastify's request pipeline, which costs more
 * than parsing and storing a small batch (bench/RESULTS.md, (h)). The common case is decided on the
 * head alone: `Content-Type: application/json`, a Content-Length up to DIRECT_MAX_BYTES and BODY_LIMIT,
 * no transfer or content encoding, no `Expect`, not under load shedding, and (with authentication on)
 * a key with the ingest scope. Anything else, every refusal the head alone decides included, goes to the
 * route as usual. The rest is the route's own: the same batch code, Idempotency-Key handling
 * (IdempotencyGate), error answers (answerError), latency series and rejection counter.
 */
export function postFlowsDirectly(app: FastifyInstance, { bodyLimit, applyBatch }: DirectPostOptions): void {
  const maxBytes = Math.min(bodyLimit, DIRECT_MAX_BYTES);
  const { metrics, log, idempotencyGate: gate } = app;

  const answered = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== 'POST' || request.url !== '/flows') return false;
    const { headers } = request;
    if (
      headers['content-type'] !== 'application/json' ||
      headers['transfer-encoding'] !== undefined ||
      headers['content-encoding'] !== undefined ||
      headers.expect !== undefined
    ) {
      return false;
    }
    const length = Number(headers['content-length']);
    if (!(length > 0 && length <= maxBytes) || app.isUnderPressure()) return false;
    const keyId = app.keyIdFor(request, 'ingest');
    if (keyId === undefined) return false;

    app.labelRoute(request, '/flows');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A client gone before the end: nothing applied, and the same 400 logged and counted as by the
    // route's body reader (its answer goes nowhere).
    request.on('error', (err: FastifyError) => {
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      fail(request, response, err);
    });
    // Answered once the 'end' event is handled: answering from inside it cost about 20% more CPU a
    // request (24.8 against 20.6 µs, bench/RESULTS.md), as it did in the route.
    request.on('end', () => void SETTLED.then(() => settle(request, response, chunks, keyId)));
    return true;
  };

  const settle = (request: IncomingMessage, response: ServerResponse, chunks: Buffer[], keyId: string | null) => {
    let answer: Answer | Promise<Answer>;
    try {
      answer = answerBatch(request, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), keyId);
      if (!(answer instanceof Promise)) return send(response, answer);
    } catch (err) {
      return fail(request, response, err);
    }
    answer.then((done) => send(response, done)).catch((err: unknown) => fail(request, response, err));
  };

  const answerBatch = (request: IncomingMessage, body: Buffer, keyId: string | null): Answer | Promise<Answer> => {
    const header = request.headers['idempotency-key'];
    if (header === undefined) return applyBatch(body, undefined);
    const served = gate.serve(
      gate.keyOf(header, keyId),
      gate.bodyHashOf(body),
      (ticket) => applyBatch(body, ticket),
      storedAnswer,
    );
    return served instanceof Promise ? served.then(replayed) : replayed(served);
  };

  const replayed = (served: string | Replay): Answer => {
    if (!(served instanceof Replay)) return served;
    metrics.idempotentReplays.inc();
    return served.response;
  };

  const fail = (request: IncomingMessage, response: ServerResponse, thrown: unknown): void => {
    // What Fastify would make of a rejection that is not an Error; never a crash of the process.
    const err = (thrown instanceof Error ? thrown : new Error(String(thrown))) as FastifyError;
    metrics.rejectBatch(err.code);
    const { body, headers } = answerError(err, request.headers['content-type'], log);
    const json = JSON.stringify(body);
    try {
      response.writeHead(body.statusCode, {
        ...headers,
        'content-type': JSON_TYPE,
        'content-length': Buffer.byteLength(json),
      });
      response.end(json);
    } catch (writeErr) {
      log.error({ err: writeErr }, 'answering a request failed');
      response.destroy();
    }
  };

  answerBeforeFastify(app, answered);
}

/** What a key holds of a new batch's answer (the gate's `responseOf`): made once, not a closure a request. */
const storedAnswer = (payload: string): StoredResponse => ({ statusCode: 200, payload });

function send(response: ServerResponse, answer: Answer): void {
  if (typeof answer === 'string') {
    response.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(answer) });
    response.end(answer);
  } else {
    response.writeHead(answer.statusCode, {
      'content-type': JSON_TYPE,
      [REPLAYED_HEADER]: 'true',
      'content-length': Buffer.byteLength(answer.payload),
    });
    response.end(answer.payload);
  }
}
