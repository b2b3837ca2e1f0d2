import { describe, expect, it } from 'vitest';
import { MinuteWindow } from '../../src/window/minute-window.js';

describe('MinuteWindow with dense flow ids', () => {
  it('counts distinct ids and their records and bytes, then starts from zero after rotating', () => {
    const window = new MinuteWindow(0);
    for (const id of [0, 31, 32, 100_000, 31, 0]) window.recordFlowId(id, 10, 20);
    window.record('other-key', 1, 2);
    expect(window.rotate(60_000)).toEqual({
      minute: '1970-01-01T00:00:00.000Z',
      unique_flows: 5,
      records: 7,
      bytes_tx: 61,
      bytes_rx: 122,
    });
    window.recordFlowId(100_000, 1, 1);
    expect(window.rotate(120_000)).toMatchObject({ unique_flows: 1, records: 1 });
    expect(window.rotate(180_000)).toMatchObject({ unique_flows: 0, records: 0 });
    // Both sets were used and cleared: an id seen two windows ago counts again.
    window.recordFlowId(0, 1, 1);
    window.recordFlowId(31, 1, 1);
    expect(window.rotate(240_000)).toMatchObject({ unique_flows: 2 });
  });
});
