import { existsSync } from 'node:fs';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface DashboardOptions {
  /** The built page (`dist/dashboard/public`): index.html, its script modules, styles and uPlot. */
  root: string;
}

/**
 * Everything the page loads comes from this service: no inline script or style, no other origin. The
 * page only reads the API (`connect-src 'self'`) and its key form never submits (`form-action 'none'`).
 */
export const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

// The page is public (it holds no data, and asks for a key itself); the data routes keep their scopes.
const open = { scope: 'open' } as const;

/** `GET /` (the dashboard page) and its assets under `/dashboard/`, with a strict Content-Security-Policy. */
const dashboard: FastifyPluginAsync<DashboardOptions> = async (app, { root }) => {
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard assets are not built (npm run build): GET / is not served');
    return;
  }
  // Registered in this encapsulated context only: the API's JSON answers keep their own headers.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP },
    // TLS, and so HSTS, is the business of whatever terminates it in front of the service.
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
  });
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, ...open };
  });
  // One route per built file (no wildcard): an unknown URL still gets the app's 404, or 401 without a key.
  await app.register(fastifyStatic, { root, prefix: '/dashboard/', wildcard: false, index: false });
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
};

export default dashboard;
