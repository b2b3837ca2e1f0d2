import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendJsonAnswer } from '../../http/json-answer.js';
import type { FlowTotal } from '../../schemas/flow.js';

/**
 * Sends an hour read page by page (FlowStore.streamFlowsForHour) as one JSON array. Whenever the
 * response closes (sent, or the client hung up before the first page, mid-page or between pages), the
 * pages are closed, so the store releases its connection and snapshot at once. Compressed when asked
 * (sendJsonAnswer).
 */
export function sendHourPages(request: FastifyRequest, reply: FastifyReply, pages: AsyncIterable<FlowTotal[]>) {
  const iterator = pages[Symbol.asyncIterator]();
  const close = () => {
    iterator.return?.().catch((err: unknown) => reply.log.warn({ err }, 'closing an hour read failed'));
  };
  if (reply.raw.destroyed || reply.raw.closed) {
    close();
    return reply;
  }
  reply.raw.once('close', close);
  // A stream bypasses the response schema's serializer (typed for arrays), so jsonArray writes the same shape.
  return sendJsonAnswer(request, reply, Readable.from(jsonArray(iterator)));
}

/** Serializes page by page, so only one page of an hour is in memory at a time. */
async function* jsonArray(pages: AsyncIterator<FlowTotal[]>): AsyncGenerator<string> {
  let first = true;
  try {
    yield '[';
    for (let page = await pages.next(); !page.done; page = await pages.next()) {
      let chunk = '';
      for (const f of page.value) {
        chunk += `${first ? '' : ','}{"src_app":${JSON.stringify(f.src_app)},"dest_app":${JSON.stringify(f.dest_app)},"vpc_id":${JSON.stringify(f.vpc_id)},"hour":${f.hour},"bytes_tx":${f.bytes_tx},"bytes_rx":${f.bytes_rx}}`;
        first = false;
      }
      yield chunk;
    }
    yield ']';
  } finally {
    await pages.return?.();
  }
}
