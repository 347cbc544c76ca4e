import { monoWav, readWav } from '../../scripts/simulator/wav';
import { Playout } from '../../scripts/simulator/playout';

/** The simulator's pure parts: WAV reading and its phone line's playback clock. */
function wav(format: number, bits: number, channels: number, rate: number, data: Buffer, extensible = false): Buffer {
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : format, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) fmt.writeUInt16LE(format, 24);
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('LIST', Buffer.from('odd')), chunk('data', data)]);
  return Buffer.concat([Buffer.from('RIFF'), Buffer.from(Uint32Array.of(body.length).buffer), body]);
}

describe('readWav', () => {
  it('reads 16-bit PCM and mixes channels down', () => {
    const data = Buffer.from(Int16Array.of(16384, 0, -32768, -32768).buffer);
    expect(readWav(wav(1, 16, 2, 44_100, data))).toEqual({ sampleRate: 44_100, channels: 2, samples: Float32Array.of(0.25, -1) });
  });

  it('reads 24-bit, 8-bit, float and extensible files, and the mono files it writes', () => {
    const int24 = Buffer.from([0x00, 0x00, 0x40, 0x00, 0x00, 0xc0]);
    expect(readWav(wav(1, 24, 1, 48_000, int24, true)).samples).toEqual(Float32Array.of(0.5, -0.5));
    expect(readWav(wav(1, 8, 1, 8000, Buffer.from([128, 192]))).samples).toEqual(Float32Array.of(0, 0.5));
    expect(readWav(wav(3, 32, 1, 16_000, Buffer.from(Float32Array.of(0.125, -0.75).buffer))).samples).toEqual(Float32Array.of(0.125, -0.75));
    expect(readWav(monoWav(Int16Array.of(8192, -8192), 8000))).toEqual({ sampleRate: 8000, channels: 1, samples: Float32Array.of(0.25, -0.25) });
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => readWav(Buffer.from('hello'))).toThrow('not a WAV file');
    expect(() => readWav(wav(2, 4, 1, 8000, Buffer.alloc(4)))).toThrow('unsupported WAV encoding (format 2, 4 bits)');
  });
});

describe('Playout', () => {
  const chunk = (ms: number) => new Uint8Array(ms * 8).fill(0x10);

  it('plays in real time from when audio arrives, and passes each mark once the audio before it has played', () => {
    const line = new Playout();
    line.media(chunk(40), 100);
    line.mark('a');
    line.media(chunk(40), 100);
    line.mark('b');
    expect(line.advance(139)).toEqual([]);
    expect(line.advance(140)).toEqual(['a']);
    expect(line.playing).toBe(true);
    expect(line.advance(180)).toEqual(['b']);
    expect(line.playing).toBe(false);
    expect(line.quietSinceMs).toBe(180);
    const heard = line.heard(200);
    expect(heard.subarray(0, 800).every((b) => b === 0xff)).toBe(true);
    expect(heard.subarray(800, 1440).every((b) => b === 0x10)).toBe(true);
    expect(heard.subarray(1440).every((b) => b === 0xff)).toBe(true);
  });

  it('keeps marks passed while new audio arrives', () => {
    const line = new Playout();
    line.media(chunk(20), 0);
    line.mark('a');
    line.media(chunk(20), 30); // 'a' passed at 20 ms, reported with the next advance
    expect(line.advance(30)).toEqual(['a']);
  });

  it('drops what has not played on clear, passes the waiting marks at once, and notes the cut', () => {
    const line = new Playout();
    for (let i = 0; i < 10; i++) {
      line.media(chunk(40), 0);
      line.mark(`m${i}`);
    }
    expect(line.advance(100)).toEqual(['m0', 'm1']);
    expect(line.clear(100)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(line.cuts).toEqual([{ atMs: 100, heardMs: 100, sentMs: 400 }]);
    expect(line.playing).toBe(false);
    line.media(chunk(40), 500);
    expect(line.spurtStarts).toEqual([0, 500]);
  });
});
