import { type Static, Type } from 'typebox';

export const MAX_TOTAL = Number.MAX_SAFE_INTEGER;
export const MAX_HOUR = 2 ** 31 - 1;
export const MAX_NAME_LENGTH = 256;

// No NUL, and no unpaired UTF-16 surrogate ("\ud800" alone): PostgreSQL text cannot hold either (a lone
// surrogate becomes U+FFFD on its way there, so two distinct names would become one), and both stores
// must accept exactly the same names. The validator matches Unicode code points, so a pair passes.
export const NAME_PATTERN = '^[^\\u0000\\ud800-\\udfff]*$';
export const Name = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: NAME_PATTERN, description });
const Bytes = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_TOTAL, description });
const Hour = Type.Integer({ minimum: 0, maximum: MAX_HOUR, description: 'hour number' });

// Examples for the OpenAPI document only; validation ignores them.
const exampleRecord = { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 500, hour: 1 };

export const FlowRecord = Type.Object(
  {
    src_app: Name('source application'),
    dest_app: Name('destination application'),
    vpc_id: Name('VPC identifier'),
    bytes_tx: Bytes('bytes transmitted'),
    bytes_rx: Bytes('bytes received'),
    hour: Hour,
  },
  { additionalProperties: false, examples: [exampleRecord] },
);
export type FlowRecord = Static<typeof FlowRecord>;

export const flowBatch = (maxRecords: number) =>
  Type.Array(FlowRecord, {
    maxItems: maxRecords,
    description: 'flow records, any order, any hours',
    examples: [[exampleRecord, { ...exampleRecord, src_app: 'baz', hour: 2 }]],
  });

export const FlowTotal = Type.Object(
  {
    src_app: Type.String(),
    dest_app: Type.String(),
    vpc_id: Type.String(),
    hour: Type.Integer(),
    bytes_tx: Type.Integer(),
    bytes_rx: Type.Integer(),
  },
  { description: 'exact totals of one flow in one hour', examples: [{ ...exampleRecord, bytes_tx: 300 }] },
);
export type FlowTotal = Static<typeof FlowTotal>;
/** What tells one flow-hour from another. */
export type FlowKey = Pick<FlowTotal, 'src_app' | 'dest_app' | 'vpc_id' | 'hour'>;

export const FlowsQuery = Type.Object({ hour: Hour }, { additionalProperties: false });

export const Accepted = Type.Object(
  { accepted: Type.Integer({ minimum: 0 }) },
  { description: 'the whole batch was applied', examples: [{ accepted: 2 }] },
);

/** The body of a POST /flows that applied `accepted` records, as the route sends it (Accepted). */
export const acceptedJson = (accepted: number): string => `{"accepted":${accepted}}`;

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  // Each status documents its own examples (schemas/error-responses.ts).
  { description: 'what is wrong and where; see the README for every code' },
);
