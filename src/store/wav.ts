/** A canonical 44-byte-header PCM WAV file: 16-bit little-endian, two channels interleaved (left, right). */
export function stereoWav(left: Int16Array, right: Int16Array, sampleRate: number): Buffer {
  const frames = Math.max(left.length, right.length);
  const dataBytes = frames * 4;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(2, 22); // channels
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 4, 28); // byte rate
  wav.writeUInt16LE(4, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < frames; i++) {
    wav.writeInt16LE(left[i] ?? 0, 44 + i * 4);
    wav.writeInt16LE(right[i] ?? 0, 46 + i * 4);
  }
  return wav;
}
