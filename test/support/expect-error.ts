import type { LightMyRequestResponse as Response } from 'fastify';
import { expect } from 'vitest';

/** The response is the service's 400 validation body, its message containing `message`. */
export function expectValidationError(res: Response, message: string): void {
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({
    statusCode: 400,
    code: 'FLOWS_ERR_VALIDATION',
    error: 'Bad Request',
    message: expect.stringContaining(message),
  });
}
