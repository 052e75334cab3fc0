/**
 * Bench servers print their port on stdout for the runner and exit when the
 * runner closes their stdin, so none outlives a crashed runner.
 */
export function announce(port: number): void {
  process.stdout.write(`PORT ${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}
