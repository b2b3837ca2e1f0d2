import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';

/**
 * `request.log`: a pino child of the service's logger with the request's id, made the first time the
 * request logs. Most requests never log, and Fastify, when it is handed the logger itself, makes a child
 * for every request and puts a 'finish' and an 'error' listener on every response (to log completions
 * this service does not log): that cost more CPU than parsing and storing a single-record batch (A/B in
 * bench/RESULTS.md). So Fastify gets no logger, and this factory gives each request one.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions | undefined) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #logger(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#options?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: LogArgs): void {
    this.#logger().fatal(...args);
  }
  error(...args: LogArgs): void {
    this.#logger().error(...args);
  }
  warn(...args: LogArgs): void {
    this.#logger().warn(...args);
  }
  info(...args: LogArgs): void {
    this.#logger().info(...args);
  }
  debug(...args: LogArgs): void {
    this.#logger().debug(...args);
  }
  trace(...args: LogArgs): void {
    this.#logger().trace(...args);
  }
  silent(...args: LogArgs): void {
    this.#logger().silent(...args);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}

type LogArgs = [obj: unknown, msg?: string, ...args: unknown[]];

/** Fastify's `childLoggerFactory`: each request's logger, a child of `logger` made when first used. */
export function lazyRequestLogger(logger: FastifyBaseLogger) {
  return (_fastifyLogger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger =>
    new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
