/** A RESP2 reply as JSON: the only shapes `@upstash/redis` can decode. */
export type JsonReply = string | number | null | JsonReply[];

/**
 * Turn a raw ioredis reply (Buffers for strings) into the JSON the Upstash client expects.
 *
 * With `base64`, every string is sent as standard base64 of its raw bytes, recursively, so binary
 * and unicode values survive JSON; Upstash leaves the `OK` status plain and the client skips
 * decoding exactly that string. Integers and nulls are never encoded.
 */
export function encodeReply(reply: unknown, base64: boolean): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return reply.toString();
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64));
  if (reply instanceof Error) return reply.message;
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply));
  if (!base64) return bytes.toString('utf8');
  const text = bytes.toString('latin1');
  return text === 'OK' ? 'OK' : bytes.toString('base64');
}

/** The message of a Redis error, or of anything thrown, as the REST `{error}` carries it. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
