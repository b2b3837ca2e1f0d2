// STAND-IN for apache/kafka (no image registry here): a one-node, in-memory speaker of just enough of the
// Kafka protocol for kafkajs's producer and admin offsets: ApiVersions v0-2, Metadata v0-2, Produce v0-2,
// ListOffsets v0-1. Any topic exists, with one partition that node KAFKA_NODE_ID leads. No Fetch and no
// consumer groups: a consumer cannot read from it. Each produced message is also appended, as one JSON line,
// to $KAFKA_LOG_DIRS/<topic>.log, which is how a test reads what was published.
// Like Kafka, it listens on KAFKA_LISTENERS (except the controller's) and hands out KAFKA_ADVERTISED_LISTENERS.
import { appendFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';

const nodeId = Number(process.env.KAFKA_NODE_ID ?? 1);
const clusterId = process.env.CLUSTER_ID ?? 'standin';
const logDir = process.env.KAFKA_LOG_DIRS ?? '/var/lib/kafka/data';
mkdirSync(logDir, { recursive: true });

/** `NAME://host:port,...` as a map from listener name to { host, port }. */
function listeners(list) {
  const byName = new Map();
  for (const entry of list.split(',')) {
    const found = /^([^:]+):\/\/([^:]*):(\d+)$/.exec(entry.trim());
    if (found) byName.set(found[1], { host: found[2] || 'localhost', port: Number(found[3]) });
  }
  return byName;
}
const controllers = new Set((process.env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(','));
const bound = listeners(process.env.KAFKA_LISTENERS ?? 'PLAINTEXT://:9092');
const advertised = listeners(process.env.KAFKA_ADVERTISED_LISTENERS ?? 'PLAINTEXT://localhost:9092');

const offsets = new Map();
const API = { PRODUCE: 0, LIST_OFFSETS: 2, METADATA: 3, API_VERSIONS: 18 };
const SUPPORTED = [
  [API.PRODUCE, 0, 2],
  [API.LIST_OFFSETS, 0, 1],
  [API.METADATA, 0, 2],
  [API.API_VERSIONS, 0, 2],
];
const UNSUPPORTED_VERSION = 35;

class Writer {
  parts = [];
  put(size, write) {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  i8(v) {
    return this.put(1, (b) => b.writeInt8(v));
  }
  i16(v) {
    return this.put(2, (b) => b.writeInt16BE(v));
  }
  i32(v) {
    return this.put(4, (b) => b.writeInt32BE(v));
  }
  i64(v) {
    return this.put(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  str(s) {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s);
    this.i16(b.length);
    this.parts.push(b);
    return this;
  }
  arr(items, write) {
    this.i32(items.length);
    for (const item of items) write(this, item);
    return this;
  }
  buf() {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  constructor(b) {
    this.b = b;
    this.o = 0;
  }
  take(size, read) {
    const v = read(this.b, this.o);
    this.o += size;
    return v;
  }
  i8() {
    return this.take(1, (b, o) => b.readInt8(o));
  }
  i16() {
    return this.take(2, (b, o) => b.readInt16BE(o));
  }
  i32() {
    return this.take(4, (b, o) => b.readInt32BE(o));
  }
  i64() {
    return this.take(8, (b, o) => b.readBigInt64BE(o));
  }
  str() {
    const n = this.i16();
    return n < 0 ? null : this.take(n, (b, o) => b.toString('utf8', o, o + n));
  }
  bytes() {
    const n = this.i32();
    return n < 0 ? null : this.take(n, (b, o) => b.subarray(o, o + n));
  }
  arr(read) {
    const n = this.i32();
    return Array.from({ length: Math.max(n, 0) }, () => read(this));
  }
}

function apiVersions(w, version) {
  w.i16(version > 2 ? UNSUPPORTED_VERSION : 0).arr(SUPPORTED, (w, [key, lo, hi]) => w.i16(key).i16(lo).i16(hi));
  if (version >= 1) w.i32(0);
}

function metadata(w, version, r, listener) {
  const topics = r.arr((r) => r.str());
  const names = topics.length ? topics : [...offsets.keys()];
  w.arr([listener], (w, l) => {
    w.i32(nodeId).str(l.host).i32(l.port);
    if (version >= 1) w.str(null);
  });
  if (version >= 2) w.str(clusterId);
  if (version >= 1) w.i32(nodeId);
  w.arr(names, (w, name) => {
    if (!offsets.has(name)) offsets.set(name, 0n);
    w.i16(0).str(name);
    if (version >= 1) w.i8(0);
    w.arr([0], (w, p) =>
      w
        .i16(0)
        .i32(p)
        .i32(nodeId)
        .arr([nodeId], (w, n) => w.i32(n))
        .arr([nodeId], (w, n) => w.i32(n)),
    );
  });
}

/** Appends each message of a MessageSet v0/v1 to the topic's log; returns how many it held. */
function append(name, partition, set, base) {
  const m = new Reader(set);
  let n = 0n;
  while (m.o + 12 <= set.length) {
    m.i64();
    const size = m.i32();
    const end = m.o + size;
    m.i32(); // crc
    const magic = m.i8();
    m.i8(); // attributes
    if (magic >= 1) m.i64(); // timestamp
    const key = m.bytes();
    const value = m.bytes();
    m.o = end;
    const line = { partition, offset: String(base + n), key: key?.toString(), value: value?.toString() };
    appendFileSync(`${logDir}/${name.replace(/[^\w.-]/g, '_')}.log`, `${JSON.stringify(line)}\n`);
    n++;
  }
  return n;
}

function produce(w, version, r) {
  const acks = r.i16();
  r.i32(); // timeout
  const topics = r.arr((r) => ({ name: r.str(), parts: r.arr((r) => ({ p: r.i32(), set: r.bytes() })) }));
  const results = topics.map(({ name, parts }) => ({
    name,
    parts: parts.map(({ p, set }) => {
      const base = offsets.get(name) ?? 0n;
      const n = append(name, p, set, base);
      offsets.set(name, base + n);
      console.log(`produce ${name}[${p}] ${n} message(s) at ${base}`);
      return { p, base };
    }),
  }));
  if (acks === 0) return false;
  w.arr(results, (w, t) => {
    w.str(t.name).arr(t.parts, (w, x) => {
      w.i32(x.p).i16(0).i64(x.base);
      if (version >= 2) w.i64(-1);
    });
  });
  if (version >= 1) w.i32(0);
  return true;
}

function listOffsets(w, version, r) {
  r.i32(); // replica id
  const topics = r.arr((r) => ({
    name: r.str(),
    parts: r.arr((r) => {
      const p = r.i32();
      const timestamp = r.i64();
      if (version === 0) r.i32(); // max number of offsets
      return { p, timestamp };
    }),
  }));
  w.arr(topics, (w, t) => {
    w.str(t.name).arr(t.parts, (w, { p, timestamp }) => {
      // -2: the earliest offset, which is always 0 here; anything else: the end of the log.
      const offset = timestamp === -2n ? 0n : (offsets.get(t.name) ?? 0n);
      w.i32(p).i16(0);
      if (version === 0) w.arr([offset], (w, o) => w.i64(o));
      else w.i64(-1).i64(offset);
    });
  });
}

/** The response body, null for a request that wants none, undefined for an API this broker lacks. */
function handle(apiKey, version, r, listener) {
  const w = new Writer();
  if (apiKey === API.API_VERSIONS) apiVersions(w, version);
  else if (apiKey === API.METADATA) metadata(w, version, r, listener);
  else if (apiKey === API.LIST_OFFSETS) listOffsets(w, version, r);
  else if (apiKey === API.PRODUCE) return produce(w, version, r) ? w : null;
  else return undefined;
  return w;
}

// PID 1 in a container: exit on the stop signal instead of waiting to be killed.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

function serve(socket, listener) {
  let buf = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
      buf = buf.subarray(4 + frame.length);
      const r = new Reader(frame);
      const apiKey = r.i16();
      const version = r.i16();
      const correlationId = r.i32();
      r.str(); // client id
      const body = handle(apiKey, version, r, listener);
      if (body === undefined) {
        console.log(`unsupported api ${apiKey} v${version}: closing`);
        socket.destroy();
        return;
      }
      if (body === null) continue;
      const payload = Buffer.concat([new Writer().i32(correlationId).buf(), body.buf()]);
      socket.write(Buffer.concat([new Writer().i32(payload.length).buf(), payload]));
    }
  });
}

for (const [name, { port }] of bound) {
  if (controllers.has(name)) continue;
  const listener = advertised.get(name) ?? { host: 'localhost', port };
  net
    .createServer((socket) => serve(socket, listener))
    .listen(port, '0.0.0.0', () =>
      console.log(`fake kafka ${name} on :${port}, advertised as ${listener.host}:${listener.port}`),
    );
}
