/** A compiled Lua command, as `npm run build:lua` emits it into `lua/generated/`. */
export interface LuaScript {
  /** Versioned name, e.g. `waooaw:v1:completeAttempt`; also the script's first line, so each release has its own SHA. */
  name: string;
  lua: string;
  /** SHA-1 of `lua`, for EVALSHA. */
  sha: string;
  /** How many leading arguments are KEYS. */
  numberOfKeys: number;
}
