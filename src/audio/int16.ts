/** Rounds to the nearest integer and saturates to the int16 range (a plain Int16Array store would wrap). */
export function saturateToInt16(value: number): number {
  const rounded = Math.round(value);
  return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
}
