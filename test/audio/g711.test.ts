import { mulaw } from 'alawmulaw';
import { mulawToPcm16, pcm16ToMulaw } from '../../src/audio';

describe('G.711 μ-law tables', () => {
  it('decodes all 256 codes exactly as alawmulaw does', () => {
    const allCodes = Uint8Array.from({ length: 256 }, (_, code) => code);
    expect(mulawToPcm16(allCodes)).toEqual(mulaw.decode(allCodes));
  });

  it('encodes all 65536 int16 values exactly as alawmulaw does', () => {
    const allSamples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(pcm16ToMulaw(allSamples)).toEqual(mulaw.encode(allSamples));
  });

  it('maps the G.711 anchor points: silence is 0xFF, full scale is 0x80/0x00', () => {
    expect(Array.from(pcm16ToMulaw(Int16Array.of(0, 32767, -32768)))).toEqual([0xff, 0x80, 0x00]);
    expect(Array.from(mulawToPcm16(Uint8Array.of(0xff, 0x7f, 0x80, 0x00)))).toEqual([0, 0, 32124, -32124]);
  });

  it('accepts Buffers and empty input', () => {
    expect(mulawToPcm16(Buffer.from([0xff, 0x80]))).toEqual(Int16Array.of(0, 32124));
    expect(mulawToPcm16(new Uint8Array(0))).toHaveLength(0);
    expect(pcm16ToMulaw(new Int16Array(0))).toHaveLength(0);
  });
});
