#!/usr/bin/env bash
# Regenerates the audio the server plays without the model (needs espeak-ng and sox; output is deterministic).
# The files are committed; this script only documents how they were made.
set -euo pipefail
cd "$(dirname "$0")"
say() { # name text
  espeak-ng -v en-us -s 160 -w "/tmp/$1.wav" "$2"
  sox -D "/tmp/$1.wav" -t raw -r 8000 -e mu-law -b 8 -c 1 "$1.ulaw" highpass 200 lowpass 3400 rate -v 8000 norm -6
  rm "/tmp/$1.wav"
}
say apology "I'm sorry, we're having technical difficulties. Please call again in a few minutes. Goodbye."
