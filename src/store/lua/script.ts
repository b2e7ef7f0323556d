/** A compiled Lua command, as `npm run build:lua` emits it into `lua/generated/`. */
export interface LuaScript {
  /** Versioned name, e.g. `waooaw:v1:completeAttempt`; also the script's first line, so each release has its own SHA. */
  name: string;
  lua: string;
  /** SHA-1 of `lua`, for EVALSHA. */
  sha: string;
  /** How many leading arguments are KEYS. */
  numberOfKeys: number;
  /**
   * The same command as a Redis Function (`FCALL fn`), when the build made a library: the library
   * is loaded once per server (on the first "Function not found") and its helpers are not rebuilt
   * on every call. Without it, or on a Redis without Functions, EVALSHA runs the script.
   */
  fn?: string;
  library?: { name: string; code: string };
}
