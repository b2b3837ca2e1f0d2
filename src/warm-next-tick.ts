/**
 * Imported first by server.ts, before anything else starts: keep it first. Node builds each
 * `process.nextTick` as an object literal with two symbol keys; in about half of the service's processes,
 * V8's feedback for that literal became megamorphic during start-up, and from then on every tick (several
 * a request) was built by the runtime: about 2 µs more CPU for each single-record POST, for the life of
 * the process. After this loop the feedback stayed monomorphic in every process tried, at start-up and
 * after load. A shorter loop is worse than none: with 1,000 calls it became megamorphic in every process
 * (bench/RESULTS.md, (h), fourth sitting). The ticks do nothing; queuing and running them takes about
 * 30 ms, once.
 */
const nothing = (): void => {};
for (let i = 0; i < 20_000; i++) process.nextTick(nothing);
