// dynalite ships no types: the factory returns a plain node:http server.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    /** Milliseconds a CreateTable stays CREATING (0: ACTIVE at once). */
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    /** LevelDB directory; in memory when absent. */
    readonly path?: string;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
