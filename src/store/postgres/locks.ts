/**
 * The advisory locks every instance on the database agrees on ("flow", "flox", "floy", "floz" as integers), in
 * one place so that no two uses can collide.
 */

/** Serializes schema set-up between instances starting together. */
export const SCHEMA_LOCK = 0x666c6f77;
/** Writers hold it shared; the cluster counter takes it exclusively to close a window. */
export const FENCE_LOCK = 0x666c6f78;
/** Held by the one instance counting a window for the whole cluster. */
export const EMITTER_LOCK = 0x666c6f79;
/** Held by the one instance deleting the rows of expired hours (RETENTION_HOURS). */
export const RETENTION_LOCK = 0x666c6f7a;
