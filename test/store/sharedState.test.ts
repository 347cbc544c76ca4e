import { MemorySharedState } from '../../src/store';

describe('MemorySharedState', () => {
  it('claims once until the claim expires', async () => {
    let now = 0;
    const state = new MemorySharedState(() => now);
    expect(await state.claim('mint:CA1', 100)).toBe(true);
    expect(await state.claim('mint:CA1', 100)).toBe(false);
    now = 100;
    expect(await state.claim('mint:CA1', 200)).toBe(true);
  });

  it('keeps a value until it is taken or expires', async () => {
    let now = 0;
    const state = new MemorySharedState(() => now);
    await state.put('transfer:CA1', '+15557654321', 100);
    expect(await state.take('transfer:CA1')).toBe('+15557654321');
    expect(await state.take('transfer:CA1')).toBeUndefined();
    await state.put('transfer:CA2', '+15550000000', 100);
    now = 100;
    expect(await state.take('transfer:CA2')).toBeUndefined();
  });

  it('reads a value without taking it, until it expires', async () => {
    let now = 0;
    const state = new MemorySharedState(() => now);
    await state.put('plan:P1', 'x', 100);
    expect(await state.read('plan:P1')).toBe('x');
    expect(await state.read('plan:P1')).toBe('x');
    now = 100;
    expect(await state.read('plan:P1')).toBeUndefined();
  });
});
