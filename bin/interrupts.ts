/** Exit status of a process stopped by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130;

/**
 * Ctrl-C and SIGTERM for a long-running command: the first signal calls `onFirst` (stop taking
 * work, finish or record what is in hand); a second one exits at once with 130. Returns the
 * function that removes the handlers.
 */
function onInterrupt(onFirst: () => void): () => void {
  let signals = 0;
  const handler = () => {
    signals += 1;
    if (signals > 1) process.exit(INTERRUPTED);
    onFirst();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler).off('SIGTERM', handler);
  };
}

export { INTERRUPTED, onInterrupt };
