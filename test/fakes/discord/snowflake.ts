/** Discord's epoch, the first millisecond of 2015, in Unix milliseconds. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

let increment = 0n;

/**
 * Makes a snowflake the way Discord does: milliseconds since Discord's epoch
 * shifted left by 22 bits, then worker, process and a 12-bit counter. Ids
 * made today have 19 digits.
 */
export function makeSnowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const worker = 1n << 17n;
  const processId = 1n << 12n;
  return (((BigInt(at) - DISCORD_EPOCH_MS) << 22n) | worker | processId | increment).toString();
}
