// What a person sees of a line a job rewrote in place with carriage returns (a tqdm bar redrawn
// 400 times is one "line" of 400 states): its last state, as the job's terminal would show it.

const esc = String.fromCharCode(0x1b);
// Any CSI sequence (colours, cursor moves, line clears) that tqdm and friends write.
const csi = new RegExp(`${esc}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/**
 * The last state of a `\r`-rewritten line: its last redraw that shows anything (tqdm's closing
 * `\r` and the blank padding a cleared bar leaves are not states). A line without `\r` is returned
 * as it is; the escape codes of the chosen redraw are kept (the display decides about colour).
 */
export function lastRedraw(line: string): string {
  if (!line.includes('\r')) return line;
  const redraws = line.split('\r');
  for (let i = redraws.length - 1; i >= 0; i -= 1) {
    const redraw = redraws[i] ?? '';
    if (redraw.replace(csi, '').trim() !== '') return redraw;
  }
  return '';
}

/** The text without its CSI escape sequences (colours, cursor moves). */
export function withoutEscapes(text: string): string {
  return text.includes(esc) ? text.replace(csi, '') : text;
}

/** The text keeping only its colour codes (SGR, `ESC[…m`); other CSI sequences are removed. */
export function colourOnly(text: string): string {
  return text.includes(esc) ? text.replace(csi, (code) => (code.endsWith('m') ? code : '')) : text;
}
