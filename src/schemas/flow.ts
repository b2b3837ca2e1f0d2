import { type Static, Type } from 'typebox';

export const MAX_TOTAL = Number.MAX_SAFE_INTEGER;
export const MAX_HOUR = 2 ** 31 - 1;
export const MAX_NAME_LENGTH = 256;

const Name = (description: string) => Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, description });
const Bytes = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_TOTAL, description });
const Hour = Type.Integer({ minimum: 0, maximum: MAX_HOUR, description: 'hour number' });

export const FlowRecord = Type.Object(
  {
    src_app: Name('source application'),
    dest_app: Name('destination application'),
    vpc_id: Name('VPC identifier'),
    bytes_tx: Bytes('bytes transmitted'),
    bytes_rx: Bytes('bytes received'),
    hour: Hour,
  },
  { additionalProperties: false },
);
export type FlowRecord = Static<typeof FlowRecord>;

export const flowBatch = (maxRecords: number) =>
  Type.Array(FlowRecord, { maxItems: maxRecords, description: 'flow records, any order, any hours' });

export const FlowTotal = Type.Object({
  src_app: Type.String(),
  dest_app: Type.String(),
  vpc_id: Type.String(),
  hour: Type.Integer(),
  bytes_tx: Type.Integer(),
  bytes_rx: Type.Integer(),
});
export type FlowTotal = Static<typeof FlowTotal>;

export const FlowsQuery = Type.Object({ hour: Hour }, { additionalProperties: false });

export const Accepted = Type.Object({ accepted: Type.Integer({ minimum: 0 }) });

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});
