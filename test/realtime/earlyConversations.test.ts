import { EarlyConversations, type OpenAIConversation } from '../../src/realtime';

function fakeConversation() {
  const c = { connected: 0, closed: 0, connect: () => void c.connected++, close: () => void c.closed++ };
  return c;
}
const asConversation = (c: ReturnType<typeof fakeConversation>) => c as unknown as OpenAIConversation;

describe('EarlyConversations', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('connects at once and hands the conversation to its call, once', () => {
    const early = new EarlyConversations(15_000);
    const c = fakeConversation();
    early.open('CA1', asConversation(c));
    expect(c.connected).toBe(1);
    expect(early.take('CA2')).toBeUndefined();
    expect(early.take('CA1')).toBe(c);
    expect(early.take('CA1')).toBeUndefined();
    jest.advanceTimersByTime(20_000);
    expect(c.closed).toBe(0);
  });

  it('closes a conversation no stream came for', () => {
    const early = new EarlyConversations(15_000);
    const c = fakeConversation();
    early.open('CA1', asConversation(c));
    jest.advanceTimersByTime(14_999);
    expect(c.closed).toBe(0);
    jest.advanceTimersByTime(1);
    expect(c.closed).toBe(1);
    expect(early.size).toBe(0);
  });

  it('closes them all on shutdown, and replaces one opened twice for a call', () => {
    const early = new EarlyConversations(15_000);
    const [a, b, c] = [fakeConversation(), fakeConversation(), fakeConversation()];
    early.open('CA1', asConversation(a));
    early.open('CA1', asConversation(b));
    early.open('CA2', asConversation(c));
    expect(a.closed).toBe(1);
    early.closeAll();
    expect([b.closed, c.closed]).toEqual([1, 1]);
    expect(early.size).toBe(0);
  });
});
