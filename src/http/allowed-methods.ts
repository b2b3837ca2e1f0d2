import type { FastifyInstance } from 'fastify';

/**
 * The methods each path is served with, learnt from the routes as they are added, so that a known path
 * asked with another method gets a 405 naming them instead of a 404. Only plain paths: a path with
 * parameters or a wildcard (the docs' static files) keeps the 404.
 */
export function trackAllowedMethods(app: FastifyInstance): (path: string) => string | undefined {
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (/[:*]/.test(route.url)) return;
    const known = methods.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) known.add(method);
    methods.set(route.url, known);
  });
  return (path) => {
    const known = methods.get(path);
    return known ? [...known].sort().join(', ') : undefined;
  };
}
