import { MachineAnswers, type MachineListener } from '../../src/outbound/machines';
import { MemorySharedState } from '../../src/store';
import { createLogger } from '../../src/log';

const silentLogger = () => createLogger({ level: 'silent', format: 'json' });

const TIMING = { pollMs: 500, watchMs: 60_000 };

describe('who answered a placed call reaches the call wherever it is', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const listener = () => {
    const heard: (string | undefined)[] = [];
    const call: MachineListener = { answeredByMachine: (message) => heard.push(message) };
    return { call, heard };
  };

  it('tells a call on this instance at once', async () => {
    const { call, heard } = listener();
    const here = new MachineAnswers(new MemorySharedState(), (sid) => (sid === 'CA1' ? call : undefined), silentLogger(), TIMING);
    await here.answered('CA1', 'Please call us back.');
    expect(heard).toEqual(['Please call us back.']);
  });

  it('hands the answer over to the instance carrying the call, once, whether to leave a message or hang up', async () => {
    const shared = new MemorySharedState();
    const a = listener();
    const b = listener();
    const calls: Record<string, MachineListener> = { CA1: a.call, CA2: b.call };
    const carrying = new MachineAnswers(shared, (sid) => calls[sid], silentLogger(), TIMING);
    const told = new MachineAnswers(shared, () => undefined, silentLogger(), TIMING);
    carrying.watch('CA1');
    carrying.watch('CA2');
    await told.answered('CA1', 'Please call us back.');
    await told.answered('CA2', undefined);
    await jest.advanceTimersByTimeAsync(500);
    expect(a.heard).toEqual(['Please call us back.']);
    expect(b.heard).toEqual([undefined]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(a.heard).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0); // both watches ended with their answers
  });

  it('waits for the stream to start, stops watching when the call ends or the detection is long over', async () => {
    const shared = new MemorySharedState();
    const { call, heard } = listener();
    let active: MachineListener | undefined;
    const carrying = new MachineAnswers(shared, () => active, silentLogger(), TIMING);
    carrying.watch('CA1');
    await jest.advanceTimersByTimeAsync(2_000);
    active = call;
    await jest.advanceTimersByTimeAsync(500);
    active = undefined; // the call ended before any answer
    await jest.advanceTimersByTimeAsync(500);
    expect(jest.getTimerCount()).toBe(0);

    active = call;
    carrying.watch('CA2');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(jest.getTimerCount()).toBe(0);
    expect(heard).toEqual([]);
  });
});
