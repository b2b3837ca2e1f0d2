import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { type FlowRecord, flowBatch } from '../../../src/schemas/flow.js';
import { ColumnarBatch } from '../../../src/store/memory/columnar-batch.js';
import { Interner } from '../../../src/store/memory/interner.js';
import { scanFlowBatch } from '../../../src/store/memory/json-batch-scanner.js';
import { record, seededRandom } from '../../support/helper.js';

const MAX_RECORDS = 100;

function scan(body: string, maxRecords = MAX_RECORDS) {
  const names = new Interner();
  names.id('already-known');
  const out = new ColumnarBatch();
  const ok = scanFlowBatch(Buffer.from(body), maxRecords, names, out);
  const records: FlowRecord[] = [];
  for (let i = 0; ok && i < out.length; i++) {
    records.push({
      src_app: names.string(out.src[i]),
      dest_app: names.string(out.dest[i]),
      vpc_id: names.string(out.vpc[i]),
      bytes_tx: out.tx[i],
      bytes_rx: out.rx[i],
      hour: out.hour[i],
    });
  }
  return { ok, records, namesSize: names.size };
}

const validate = new Ajv({ coerceTypes: false }).compile(flowBatch(MAX_RECORDS));
const fields = (r: FlowRecord) => [r.src_app, r.dest_app, r.vpc_id, r.bytes_tx, r.bytes_rx, r.hour];

describe('scanFlowBatch: accepts what it can prove valid', () => {
  it('reads records exactly, in any key order and with any JSON whitespace', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const body = ` [\n\t{"hour": 2147483647 ,"bytes_rx":${max},"vpc_id":"v","dest_app":"${'d'.repeat(256)}","bytes_tx":0,"src_app":"s"}\r\n, ${JSON.stringify(record())} ] `;
    const { ok, records } = scan(body);
    expect(ok).toBe(true);
    expect(records).toEqual([
      { src_app: 's', dest_app: 'd'.repeat(256), vpc_id: 'v', bytes_tx: 0, bytes_rx: max, hour: 2 ** 31 - 1 },
      record(),
    ]);
  });

  it('accepts an empty array and exactly the record limit', () => {
    expect(scan('[]')).toMatchObject({ ok: true, records: [] });
    expect(scan(JSON.stringify(Array.from({ length: MAX_RECORDS }, () => record()))).records).toHaveLength(MAX_RECORDS);
  });

  it('gives printable-ASCII names the same ids as the string path', () => {
    const names = new Interner();
    const viaString = names.id('app-1');
    const out = new ColumnarBatch();
    scanFlowBatch(Buffer.from(JSON.stringify([record({ src_app: 'app-1' })])), 10, names, out);
    expect(out.src[0]).toBe(viaString);
    expect(names.id('bar')).toBe(out.dest[0]);
    expect(names.id('vpc-0')).toBe(out.vpc[0]);
    expect(names.size).toBe(3);
  });
});

describe('scanFlowBatch: declines everything else, leaving the interner as it was', () => {
  const good = JSON.stringify(record({ src_app: 'new-name' }));
  const cases: [string, string][] = [
    ['not JSON', '[{"src_app":'],
    ['a truncated name', `[${good.slice(0, 20)}`],
    ['a truncated number', `[${good.slice(0, good.indexOf('100') + 2)}`],
    ['not an array', good],
    ['an array of non-objects', '[1]'],
    ['a trailing comma', `[${good},]`],
    ['garbage after the array', `[${good}]x`],
    ['two arrays', `[${good}][]`],
    ['a missing field', JSON.stringify([{ ...record(), hour: undefined }])],
    ['an extra field', JSON.stringify([{ ...record(), proto: 'tcp' }])],
    ['a duplicate field', `[${good.slice(0, -1)},"hour":1}]`],
    ['a string number', JSON.stringify([record({ bytes_tx: '100' as never })])],
    ['a negative number', JSON.stringify([record({ bytes_rx: -1 })])],
    ['a fraction', JSON.stringify([record({ bytes_tx: 1.5 })])],
    ['a fraction of zero', `[${good.replace('"bytes_tx":100', '"bytes_tx":100.0')}]`],
    ['an exponent', `[${good.replace('"bytes_tx":100', '"bytes_tx":1e2')}]`],
    ['a leading zero', `[${good.replace('"bytes_tx":100', '"bytes_tx":0100')}]`],
    ['17 digits', `[${good.replace('"bytes_tx":100', '"bytes_tx":10000000000000000')}]`],
    ['bytes past 2^53-1', JSON.stringify([record({ bytes_tx: 2 ** 53 })])],
    ['an hour past 2^31-1', JSON.stringify([record({ hour: 2 ** 31 })])],
    ['an empty name', JSON.stringify([record({ vpc_id: '' })])],
    ['a name of 257 characters', JSON.stringify([record({ dest_app: 'x'.repeat(257) })])],
    ['an escaped name', '[{"src_app":"a\\u0062","dest_app":"b","vpc_id":"v","bytes_tx":1,"bytes_rx":1,"hour":1}]'],
    ['a non-ASCII name', JSON.stringify([record({ src_app: 'café' })])],
    ['a control character', `[${good.replace('new-name', 'new\tname')}]`],
    ['null', JSON.stringify([record({ src_app: null as never })])],
    ['one record too many', JSON.stringify(Array.from({ length: MAX_RECORDS + 1 }, () => record()))],
  ];

  it.each(cases)('%s', (_name, body) => {
    const result = scan(`${JSON.stringify([record({ src_app: 'first-new-name' })]).slice(0, -1)},${body.slice(1)}`);
    expect(result.ok).toBe(false);
    expect(result.namesSize).toBe(1); // only "already-known": the names of the declined batch are forgotten
    expect(scan(body).ok).toBe(false);
  });
});

describe('scanFlowBatch against JSON.parse and the schema validator', () => {
  it('never accepts what the schema rejects, and reads the same values', () => {
    const random = seededRandom(11);
    const pick = <T>(items: T[]) => items[Math.floor(random(items.length))];
    const noise = ['', ' ', '-', '.5', 'e1', '"', '\\', ',', '}', ']', '0', '9', 'é', '\n', '""', 'null', ':'];
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const records = Array.from({ length: 1 + Math.floor(random(3)) }, () =>
        record({ src_app: pick(['a', 'b', 'x'.repeat(256)]), bytes_tx: pick([0, 1, 2 ** 53 - 1, 12345]) }),
      );
      let body = JSON.stringify(records);
      // Corrupt most bodies at a random place.
      if (random(4) >= 1) {
        const at = Math.floor(random(body.length));
        body = body.slice(0, at) + pick(noise) + body.slice(at + Math.floor(random(3)));
      }
      const result = scan(body);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      const valid = parsed !== undefined && validate(parsed);
      if (result.ok) {
        accepted++;
        expect(valid).toBe(true);
        expect(result.records.map(fields)).toEqual((parsed as FlowRecord[]).map(fields));
      }
    }
    expect(accepted).toBeGreaterThan(500);
  });
});
