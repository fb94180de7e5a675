/**
 * What the error channel carries at the end of an exec or attach (remote
 * command protocol v4 and later): a Kubernetes `metav1.Status` as JSON.
 * Clients turn `NonZeroExitCode` with an `ExitCode` cause into the command's
 * exit code (crictl and kubectl exit with it).
 */
export const success = (): string => JSON.stringify({ metadata: {}, status: 'Success' });

export const exitStatus = (code: number): string => (code === 0 ? success() : JSON.stringify({
  metadata: {},
  status: 'Failure',
  message: `command terminated with non-zero exit code: exit status ${code}`,
  reason: 'NonZeroExitCode',
  details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
}));

export const failure = (message: string): string => JSON.stringify({
  metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message }] }, code: 500,
});
