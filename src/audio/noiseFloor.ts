import { SILENCE_DBFS } from './level';

/** The floor follows quiet frames at once and loud ones slowly (about 0.2 dB a frame). */
const RISE_DB = 0.2;

/**
 * The level of a line's background noise, from its frames' levels: it drops to any quieter frame at once and
 * creeps up under louder ones, so seconds of speech barely move it while a noisier line is learnt in seconds.
 */
export class NoiseFloor {
  private dbfs = SILENCE_DBFS;

  get level(): number {
    return this.dbfs;
  }

  update(frameDbfs: number): void {
    this.dbfs = frameDbfs < this.dbfs ? frameDbfs : Math.min(frameDbfs, this.dbfs + RISE_DB);
  }
}
