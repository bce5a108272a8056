// The text helpers the shells need to show a job's output to a person (re-exported from runtime).
export { colourOnly, lastRedraw, withoutEscapes } from '../../runtime/progress/redrawn-line.ts';
