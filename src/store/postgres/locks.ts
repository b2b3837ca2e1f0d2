/**
 * The advisory locks every instance on the database agrees on ("flow", "flox", "floy", "floz" as integers), in
 * one place so that no two uses can collide.
 */

/** Serializes schema set-up between instances starting together. */
export const SCHEMA_LOCK = 0x666c6f77;
/** Minute-count shares are written holding it shared; the emitter takes it exclusively to close a window. */
export const FENCE_LOCK = 0x666c6f78;
/** The instances take turns with it to publish the closed windows for the whole cluster (emitter.ts). */
export const EMITTER_LOCK = 0x666c6f79;
/** Held by the one instance deleting the rows of expired hours (RETENTION_HOURS). */
export const RETENTION_LOCK = 0x666c6f7a;
