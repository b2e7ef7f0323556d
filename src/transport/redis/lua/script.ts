/**
 * A compiled Lua command, as the Lua build emits it into `lua/generated/` (same shape as the
 * Store's `src/store/lua/script.ts`, so one build script serves both folders).
 */
export interface LuaScript {
  /** Versioned name, e.g. `waooaw:v1:claim`; also the script's first line, so each release has its own SHA. */
  name: string;
  lua: string;
  /** SHA-1 of `lua`, for EVALSHA. */
  sha: string;
  /** How many leading arguments are KEYS. */
  numberOfKeys: number;
}
