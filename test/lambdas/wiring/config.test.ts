/** Function configuration: booleans parsed one way everywhere, failing fast on anything else. */
import { flag, loadConfig } from '../../../lambdas/wiring/config.js';

describe('flag', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    [' No ', false],
  ])('reads %j as %s', (raw, expected) => {
    expect(flag({ X: raw }, 'X', !expected)).toBe(expected);
  });

  it('gives the fallback when the variable is unset or empty', () => {
    expect(flag({}, 'X', true)).toBe(true);
    expect(flag({ X: '' }, 'X', false)).toBe(false);
  });

  it.each(['ture', 'on', '2', 'y'])('fails naming the variable for %j', (raw) => {
    expect(() => flag({ REGISTRY_ALLOW_LOOPBACK: raw }, 'REGISTRY_ALLOW_LOOPBACK', true)).toThrow(/REGISTRY_ALLOW_LOOPBACK must be one of/);
  });
});

describe('loadConfig', () => {
  it.each(['0', 'FALSE', 'no', 'false'])('refuses loopback when REGISTRY_ALLOW_LOOPBACK=%s', (raw) => {
    expect(loadConfig({ TABLE_NAME: 't', REGISTRY_ALLOW_LOOPBACK: raw }).allowLoopback).toBe(false);
  });

  it.each(['1', 'TRUE', 'yes'])('allows loopback when REGISTRY_ALLOW_LOOPBACK=%s', (raw) => {
    expect(loadConfig({ TABLE_NAME: 't', REGISTRY_ALLOW_LOOPBACK: raw }).allowLoopback).toBe(true);
  });

  it('refuses loopback by default and fails at load on a value it cannot read', () => {
    expect(loadConfig({ TABLE_NAME: 't' }).allowLoopback).toBe(false);
    expect(() => loadConfig({ TABLE_NAME: 't', REGISTRY_ALLOW_LOOPBACK: 'enabled' })).toThrow(/REGISTRY_ALLOW_LOOPBACK/);
  });
});
