/** Every YAML file under infra/ passes yamllint with infra/yamllint.yml. */
import { describe, expect, it } from 'vitest';
import { run } from './tools.js';

describe('infra YAML', () => {
  it('passes yamllint', () => {
    const result = run('yamllint', ['--strict', '-f', 'parsable', '-c', 'infra/yamllint.yml', 'infra']);
    expect(result.status, result.output).toBe(0);
  });
});
