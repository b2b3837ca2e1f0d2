import { STATUS_CODES } from 'node:http';
import { ErrorBody } from './flow.js';

/** One error a status stands for, as the API document shows it. */
export interface ErrorExample {
  code: string;
  message: string;
}

/** An error from the catalogue as an example, so the document shows what a client really gets. */
export function exampleOf(err: Error): ErrorExample {
  return { code: (err as Error & { code: string }).code, message: err.message };
}

/**
 * One documented error status: the error body's schema with a description of its own and an example
 * of each code it stands for (for the API document; validation and serialization ignore examples).
 */
export function errorResponse(status: number, description: string, ...examples: ErrorExample[]) {
  return {
    ...ErrorBody,
    description,
    examples: examples.map(({ code, message }) => ({ statusCode: status, code, error: STATUS_CODES[status], message })),
  };
}

type Responses = Record<string, unknown>;

/** Adds an error to `responses`: a new entry for its status, or one more example and sentence in it. */
export function addErrorResponse(responses: Responses, status: number, description: string, example: ErrorExample) {
  const existing = responses[status] as ReturnType<typeof errorResponse> | undefined;
  if (!existing?.examples) {
    responses[status] = errorResponse(status, description, example);
    return;
  }
  const [added] = errorResponse(status, description, example).examples;
  responses[status] = {
    ...existing,
    description: `${existing.description}; ${description}`,
    examples: [...existing.examples, added],
  };
}
