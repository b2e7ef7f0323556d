export * from './model.js';
export type * from './types.js';
