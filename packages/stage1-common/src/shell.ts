/** POSIX shell single-quoting, for the scripts stage1s write (the kvm guest's, a host pod's run.sh). */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A command line as one shell word list. */
export const shellCommand = (argv: readonly string[]) => argv.map(shellQuote).join(' ');
