/** The prober's warning: once per change of the guard's state, saying what the engaged half holds back. */
import { describeProtection } from '../../../lambdas/domain/protection.js';
import { setup } from './prober-harness.js';

it('flags a change of the guard once, not every round it stays engaged, with a message for the half engaged', async () => {
  const t = await setup();
  for (let i = 0; i < 20; i++) await t.register('leased', `l-${i}`, { leaseSeconds: i < 5 ? 2 : 600 });
  const prober = t.prober();
  const reports = [];
  for (let round = 0; round < 4; round++) {
    t.advance(1000);
    reports.push(await prober.round());
  }
  expect(reports.map((r) => [r.protection.leaseEngaged, r.protectionChanged])).toEqual([
    [false, false],
    [true, true],
    [true, false],
    [true, false],
  ]);
  const message = describeProtection(reports[1]!.protection);
  expect(message).toBe('registry protection engaged (leases): expired leases are kept and served marked leaseExpired, not removed');
  expect(message).not.toContain('critical');
  expect(describeProtection({ engaged: true, probeEngaged: true, leaseEngaged: false })).toBe(
    'registry protection engaged (probes): nothing is marked critical and no critical instance is removed',
  );
  expect(describeProtection({ engaged: false, probeEngaged: false, leaseEngaged: false })).toMatch(/^registry protection released/);
});
