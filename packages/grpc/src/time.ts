/** Times as the protocols' int64 nanoseconds since the epoch, carried as decimal strings (they exceed 2^53). */
export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** An RFC 3339 stamp (what stage0 writes); '0' when there is none. */
export const isoToNanos = (iso: string | undefined): string =>
  (iso === undefined || Number.isNaN(Date.parse(iso)) ? '0' : (BigInt(Date.parse(iso)) * 1_000_000n).toString());
