/**
 * Polls `check` until it returns true, at most `withinMs` (bounded: tests never loop for ever).
 * Used for effects that cross a socket (a peer noticing a close), never to assert on speed.
 */
async function eventually(check: () => boolean, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/**
 * Aborts `controller` once `ready` holds (or after `withinMs`, so it always fires): a deadline
 * placed after an event, not after a guess at how long the event takes on this machine.
 */
function abortWhen(controller: AbortController, ready: () => boolean, withinMs = 20_000): void {
  void eventually(ready, withinMs).then(() => controller.abort());
}

export { abortWhen, eventually };
