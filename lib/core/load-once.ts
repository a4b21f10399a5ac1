/**
 * Memoises an asynchronous load (a dynamic import, a client built from one): every caller shares
 * the first call's promise. A load that fails is forgotten, so the next caller tries again rather
 * than every later call failing with the first error.
 */
function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
}

export { loadOnce };
