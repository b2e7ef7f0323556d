/**
 * A compiled Lua command, as `npm run build:lua` emits it into `lua/generated/`: the same shape as
 * the Store's, from the same build script.
 */
export type { LuaScript } from '../../store/lua/script.js';
