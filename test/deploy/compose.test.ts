import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here (DESIGN.md): what can be checked is the file itself.
type Service = {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  deploy?: { replicas?: number };
  user?: string;
};

/** Compose's own interpolation: the caller's variable, else the default. */
const variable = (name: string, fallback: string | number | boolean) => ['$', `{${name}:-${fallback}}`].join('');
const interpolated = (name: string, host: number, container: number) => `${variable(name, host)}:${container}`;

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const { db, kafka, flowanalysis, nginx } = compose.services;
const replica = compose.services['flowanalysis-replica'];

describe('docker-compose.yml', () => {
  it('has db, kafka and flowanalysis by default, and the scale services only in the scale profile', () => {
    const always = Object.entries(compose.services)
      .filter(([, s]) => !s.profiles)
      .map(([name]) => name);
    expect(always.sort()).toEqual(['db', 'flowanalysis', 'kafka']);
    expect(replica.profiles).toEqual(['scale']);
    expect(nginx.profiles).toEqual(['scale']);
  });

  it('runs PostgreSQL with the documented credentials, port, volumes and a healthcheck', () => {
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(db.environment).toMatchObject({
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: 'password',
      POSTGRES_DB: 'mydb',
    });
    expect(db.ports).toEqual([interpolated('DB_PORT', 5432, 5432)]);
    expect(db.volumes).toEqual([
      './volumes/postgress/postgress_data:/var/lib/postgresql/data',
      './src/store/postgres/schema.sql:/docker-entrypoint-initdb.d/init.sql:ro',
    ]);
    // The file the service applies at start-up is the one mounted (src/store/pg-pool.ts reads it there).
    expect(existsSync('src/store/postgres/schema.sql')).toBe(true);
    expect(db.healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  it('runs Apache Kafka in KRaft mode with listeners on 9092 (network) and 9094 (host, KAFKA_PORT)', () => {
    expect(kafka.image).toMatch(/^apache\/kafka:\d/);
    const env = kafka.environment ?? {};
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Object.keys(env).some((k) => k.includes('ZOOKEEPER'))).toBe(false);
    expect(env.KAFKA_LISTENERS).toContain(':9092');
    expect(env.KAFKA_LISTENERS).toContain(':9094');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('kafka:9092');
    // Host programs are told the published port, whatever KAFKA_PORT makes it.
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`EXTERNAL://localhost:${variable('KAFKA_PORT', 9094)}`);
    expect(kafka.ports).toEqual([interpolated('KAFKA_PORT', 9094, 9094)]);
    expect(kafka.volumes).toEqual([`./volumes/kafka/kafka_data:${env.KAFKA_LOG_DIRS}`]);
    expect(kafka.healthcheck?.test.join(' ')).toContain('--bootstrap-server localhost:9092');
  });

  it('builds flowanalysis from the Dockerfile, wired to db and kafka, in memory unless INMEMORY says otherwise', () => {
    expect(flowanalysis.build).toBe('.');
    expect(flowanalysis.ports).toEqual([interpolated('HTTP_PORT', 8080, 8080)]);
    expect(flowanalysis.environment).toMatchObject({
      // Compose's own interpolation: true unless the caller's INMEMORY says otherwise.
      INMEMORY: variable('INMEMORY', true),
      ROTATION_INTERVAL_MS: variable('ROTATION_INTERVAL_MS', 60000),
      LOG_LEVEL: variable('LOG_LEVEL', 'info'),
      DATABASE_URL: 'postgres://postgres:password@db:5432/mydb',
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_TOPIC: 'flow-counts',
    });
    expect(flowanalysis.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
    });
    // The spool must outlive the container, in a volume the non-root user owns.
    expect(flowanalysis.volumes).toEqual(['counts:/app/volumes/counts']);
    expect(compose.volumes).toHaveProperty('counts');
  });

  it('scale profile: two PostgreSQL-backed replicas sharing db, behind nginx on one port', () => {
    expect(replica.build).toBe('.');
    expect(replica.deploy?.replicas).toBe(2);
    expect(replica.ports).toBeUndefined();
    expect(replica.environment).toMatchObject({
      INMEMORY: 'false',
      DATABASE_URL: 'postgres://postgres:password@db:5432/mydb',
      KAFKA_BROKERS: 'kafka:9092',
    });
    expect(replica.depends_on).toMatchObject({ db: { condition: 'service_healthy' } });
    expect(nginx.image).toMatch(/^nginx:/);
    expect(nginx.ports).toEqual([interpolated('NGINX_PORT', 8081, 80)]);
    const [mount] = nginx.volumes ?? [];
    const [hostPath] = mount.split(':');
    expect(hostPath).toBe('./deploy/nginx/nginx.conf');
    expect(nginx.depends_on).toEqual({ 'flowanalysis-replica': { condition: 'service_healthy' } });
  });

  it('keeps the data folders out of git, and mounts the schema the service applies from the source tree', () => {
    const ignored = readFileSync('.gitignore', 'utf8').split('\n');
    expect(ignored).toContain('volumes/postgress/postgress_data/');
    expect(ignored).toContain('volumes/kafka/kafka_data/');
    const [schema] = (db.volumes ?? [])[1].split(':');
    expect(readFileSync(schema, 'utf8')).toContain('CREATE TABLE IF NOT EXISTS flow_totals');
    expect(ignored.some((line) => line.includes('.sql') || line === 'src/')).toBe(false);
  });

  it('publishes no fixed host port: each one has a variable with the documented default', () => {
    const published = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(published).toHaveLength(4);
    for (const port of published) expect(port).toMatch(/^\$\{[A-Z_]+_PORT:-\d+\}:\d+$/);
  });
});
